#!/bin/sh
# A teacher's scenario file with a mistake: the command line says FILE:LINE: and
# what is wrong, in the chosen language, and exits 64 (bad input); a broken file
# in the help folder is named instead of silently missing from the list.
. "$(dirname "$0")/lib.sh"

# line 8 of it has a TTL of "99x"
cp "$(dirname "$0")/../fixtures/bad-ttl.scn" "$TMPD/bad.scn"

# run_64 NAME ARGS... : must exit 64, print nothing on stdout, one clean UTF-8
# message on stderr (kept in $TMPD/NAME.err)
run_64() {
  name=$1; shift
  "$MXD_BIN" "$@" >"$TMPD/$name.out" 2>"$TMPD/$name.err"
  rc=$?
  [ $rc = 64 ] || fail "$name: $* → exit $rc, want 64: $(head -c 300 "$TMPD/$name.err")"
  [ ! -s "$TMPD/$name.out" ] || fail "$name: printed on stdout: $(head -c 200 "$TMPD/$name.out")"
  [ -s "$TMPD/$name.err" ] || fail "$name: no message"
  if LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$TMPD/$name.err"; then
    fail "$name: control bytes in the message"
  fi
  python3 -c 'import sys; open(sys.argv[1], encoding="utf-8").read()' "$TMPD/$name.err" ||
    fail "$name: message is not UTF-8"
}
# has NAME TEXT : the message holds TEXT (fixed string)
has() { grep -qF -- "$2" "$TMPD/$1.err" || fail "$1: wanted \"$2\" in: $(cat "$TMPD/$1.err")"; }
hasnt() { ! grep -qF -- "$2" "$TMPD/$1.err" || fail "$1: did not want \"$2\" in: $(cat "$TMPD/$1.err")"; }

# --lab FILE, in each language
run_64 ja --lang ja --lab "$TMPD/bad.scn"
has ja "$TMPD/bad.scn:8: TTL（キャッシュの有効期間）「99x」が正しくありません"
hasnt ja "bad TTL"
run_64 en --lang en --lab "$TMPD/bad.scn"
has en "$TMPD/bad.scn:8: bad TTL '99x': seconds from 0 to 2147483647"
# the language from the environment, and --lab-serve with the same file
(export LANG=ja_JP.UTF-8 LC_ALL='' LC_MESSAGES=''; run_64 env --lab "$TMPD/bad.scn") || exit 1
has env "「99x」が正しくありません"
run_64 serve --lang ja --lab-serve "$TMPD/bad.scn"
has serve "$TMPD/bad.scn:8: TTL（キャッシュの有効期間）「99x」"
# with --report too
run_64 report --lang ja --report --lab "$TMPD/bad.scn"
has report "$TMPD/bad.scn:8: "

# a file that is not there, and a folder given as a file
run_64 missing --lang ja --lab "$TMPD/none.scn"
has missing "$TMPD/none.scn: ファイルが見つかりません"
mkdir "$TMPD/dir.scn"
run_64 folder --lang en --lab "$TMPD/dir.scn"
has folder "$TMPD/dir.scn: this is a folder, not a file"

# a file name that holds terminal escapes is shown escaped
evil="$TMPD/$(printf 'evil\033]0;pwned\007.scn')"
cp "$TMPD/bad.scn" "$evil"
run_64 evil --lang ja --lab "$evil"
has evil 'evil\x1B]0;pwned\x07.scn:8: '

# A broken file in the help folder: --lab-list names it, in the language.
help_src=$(dirname "$MXD_BIN")/help
[ -d "$help_src/en" ] || help_src=help
cp -r "$help_src" "$TMPD/help"
cp "$TMPD/bad.scn" "$TMPD/help/scenarios/99-mine.scn"
MXDOCTOR_HELP="$TMPD/help" "$MXD_BIN" --lang ja --lab-list >"$TMPD/list.out" 2>"$TMPD/list.err" ||
  fail "--lab-list failed: $(cat "$TMPD/list.err")"
has list "シナリオファイルのうち1個に間違いがあるため"
has list "$TMPD/help/scenarios/99-mine.scn:8: TTL（キャッシュの有効期間）「99x」"
grep -q '^healthy ' "$TMPD/list.out" || fail "--lab-list lost the good scenarios"
# ... and asking for it by id says why it is not there
(export MXDOCTOR_HELP="$TMPD/help"; run_64 byid --lang en --lab mine) || exit 1
has byid 'There is no practice-lab scenario called "mine"'
has byid "1 scenario file(s) in the help folder have a mistake"
has byid "99-mine.scn:8: bad TTL '99x'"
exit 0
