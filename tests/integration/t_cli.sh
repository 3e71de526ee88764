#!/bin/sh
# The command line: bad input and bad options give a clear message in the chosen
# language and exit 64, never a crash; what was typed is shown back (sanitised).
. "$(dirname "$0")/lib.sh"

expect_64() { # LANG ARGS... : must exit 64 with one clean line on stderr
  lang=$1; shift
  "$MXD_BIN" --lang "$lang" --report --no-smtp --resolver 127.0.0.1:9 --timeout 1 "$@" \
    >"$TMPD/out" 2>"$TMPD/err"
  rc=$?
  [ $rc = 64 ] || fail "[$lang] $* → exit $rc, want 64: $(head -c 200 "$TMPD/err")"
  [ -s "$TMPD/err" ] || fail "[$lang] $* → no message"
  [ ! -s "$TMPD/out" ] || fail "[$lang] $* → printed a report"
  if LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$TMPD/err"; then
    fail "[$lang] $* → control bytes in the message"
  fi
  python3 -c 'import sys; open(sys.argv[1], encoding="utf-8").read()' "$TMPD/err" ||
    fail "[$lang] $* → message is not UTF-8"
}

long=$(python3 -c 'print("a" * 100000)')
label64=$(python3 -c 'print("a" * 64 + ".jp")')
for lang in en ja; do
  expect_64 $lang ""
  expect_64 $lang "   "
  expect_64 $lang "$label64"
  expect_64 $lang "$long"
  expect_64 $lang "a..b.jp"
  expect_64 $lang "192.0.2.1"
  expect_64 $lang "[192.0.2.1]"
  expect_64 $lang "user@"
  expect_64 $lang "localhost"
  expect_64 $lang "exa mple.jp"
  expect_64 $lang "$(printf 'evil\033]52;c;eA==\007.jp')"
  expect_64 $lang "😀.jp"
  expect_64 $lang --format yaml example.jp
  expect_64 $lang --timeout 0 example.jp
  expect_64 $lang --smtp-port 70000 example.jp
  expect_64 $lang --resolver not-an-ip example.jp
  expect_64 $lang --no-such-option
  expect_64 $lang example.jp extra-argument
done
# Japanese messages are in Japanese, English ones in English.
"$MXD_BIN" --lang ja --report "user@" 2>"$TMPD/ja" >/dev/null
grep -q 'ドメイン' "$TMPD/ja" || fail "ja message not Japanese: $(cat "$TMPD/ja")"
"$MXD_BIN" --lang en --report "user@" 2>"$TMPD/en" >/dev/null
grep -qi 'domain' "$TMPD/en" || fail "en message not English"
LANG=ja_JP.UTF-8 LC_ALL= "$MXD_BIN" --report "user@" 2>"$TMPD/env" >/dev/null
grep -q 'ドメイン' "$TMPD/env" || fail "LANG=ja_JP.UTF-8 did not select Japanese"
# Pasted forms reach the same domain: the report names it in ASCII.
for typed in "User@ＥＸＡＭＰＬＥ．ｃｏｍ" "https://example.com/contact?x=1" "<postmaster@example.com>" "EXAMPLE.COM."; do
  "$MXD_BIN" --report --format json --no-smtp --resolver 127.0.0.1:9 --timeout 1 "$typed" \
    >"$TMPD/report.json" 2>/dev/null
  json_eval 'j["domain_ascii"] == "example.com"'
done
"$MXD_BIN" --report --format json --no-smtp --resolver 127.0.0.1:9 --timeout 1 "user@例え.jp" \
  >"$TMPD/report.json" 2>/dev/null
json_eval 'j["domain_ascii"] == "xn--r8jz45g.jp" and j["domain"] == "例え.jp"'
# A resolver that does not answer is "could not diagnose" (exit 3), not the domain's fault.
"$MXD_BIN" --report --format json --no-smtp --resolver 127.0.0.1:9 --timeout 1 example.com \
  >"$TMPD/report.json" 2>/dev/null
rc=$?
[ $rc = 3 ] || fail "dead resolver: exit $rc, want 3"
json_eval 'j["verdict"] == "error" and "dns.error" in ids and all(i in ("dns.error", "auth.zone_unknown") for i in ids)'
"$MXD_BIN" --help | grep -q -- '--report' || fail "--help"
"$MXD_BIN" --version | grep -q '^mxdoctor ' || fail "--version"
exit 0
