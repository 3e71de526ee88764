#!/bin/sh
# t_wizard_harness.sh — the tmux harness the t_wizard_*.sh tests source
# (". t_wizard_harness.sh" with WIZ_LIB=1). Run on its own, it is a test of
# itself: a pane starts, takes keys, shows them, and reports its exit status.
#
# Every test gets a private tmux server (-L mxd<pid>, no config file), waits by
# re-capturing the pane until the expected text is there or a deadline passes
# (never a fixed sleep), and kills its server on exit.
set -u

: "${MXD_BIN:=./mxdoctor}"
case $MXD_BIN in /*) ;; *) MXD_BIN="$(pwd)/$MXD_BIN" ;; esac
WIZ_SOCK="mxd$$"
WIZ_TMP=$(mktemp -d "${TMPDIR:-/tmp}/mxd-wiz.XXXXXX")
WIZ_ENV=""            # extra VAR=value words for the program's environment
WIZ_TIMEOUT=15        # seconds a wait may take

wiz_tmux() { tmux -u -L "$WIZ_SOCK" -f /dev/null "$@"; }
wiz_cleanup() { wiz_tmux kill-server 2>/dev/null; rm -rf "$WIZ_TMP"; }
trap wiz_cleanup EXIT
trap 'exit 1' INT TERM

skip() { echo "$*"; exit 77; }
wiz_cap() { wiz_tmux capture-pane -p -t w 2>/dev/null; }
fail() {
    echo "FAIL: $*"
    echo "--- screen ($(wiz_tmux display -p -t w '#{window_width}x#{window_height}' 2>/dev/null)):"
    wiz_cap
    exit 1
}

wiz_need_tmux() { command -v tmux >/dev/null 2>&1 || skip "tmux is not installed"; }
wiz_need_lab() {
    wiz_need_tmux
    "$MXD_BIN" --lab-list >/dev/null 2>&1 ||
        skip "the practice lab is not available yet ($MXD_BIN --lab-list fails)"
}

wiz_quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

# wiz_start COLS ROWS ARG... — runs "$MXD_BIN ARG..." in a new pane. When the
# program ends, the pane prints EXITED=<status> and becomes a shell, so the
# test can look at the terminal the program left behind.
# WIZ_SIZE=COLSxROWS (e.g. 200x60) replaces the usual 80x24, so the whole
# suite can be run again on a large screen; tests that ask for another size on
# purpose (narrow, too small) keep theirs.
wiz_start() {
    cols=$1
    rows=$2
    shift 2
    if [ "$cols" = 80 ] && [ "$rows" = 24 ] && [ -n "${WIZ_SIZE:-}" ]; then
        cols=${WIZ_SIZE%x*}
        rows=${WIZ_SIZE#*x}
    fi
    args=""
    for a in "$@"; do args="$args $(wiz_quote "$a")"; done
    cat >"$WIZ_TMP/run.sh" <<EOF
cd $(wiz_quote "$WIZ_TMP")
# a trap (not an ignore) so ^C reaches the program with its default action
trap ':' INT
sh -c 'echo \$\$ >"$WIZ_TMP/pid"; exec env $WIZ_ENV "\$0" "\$@"' $(wiz_quote "$MXD_BIN") $args
echo "EXITED=\$?"
PS1='wiz\$ ' exec sh
EOF
    rm -f "$WIZ_TMP/pid"
    wiz_tmux new-session -d -s w -x "$cols" -y "$rows" "sh $WIZ_TMP/run.sh" ||
        fail "tmux could not start"
}

# wiz_wait TEXT [SECONDS] — until the pane shows TEXT.
wiz_wait() {
    [ -n "$1" ] || fail "nothing to wait for (a catalog or scenario lookup came back empty)"
    end=$(($(date +%s) + ${2:-$WIZ_TIMEOUT}))
    while :; do
        case $(wiz_cap) in *"$1"*) return 0 ;; esac
        [ "$(date +%s)" -ge "$end" ] && fail "timed out waiting for: $1"
        sleep 0.05
    done
}

# wiz_wait_gone TEXT [SECONDS] — until the pane no longer shows TEXT.
wiz_wait_gone() {
    [ -n "$1" ] || fail "nothing to wait for (a catalog or scenario lookup came back empty)"
    end=$(($(date +%s) + ${2:-$WIZ_TIMEOUT}))
    while :; do
        case $(wiz_cap) in *"$1"*) ;; *) return 0 ;; esac
        [ "$(date +%s)" -ge "$end" ] && fail "timed out waiting for this to go: $1"
        sleep 0.05
    done
}

# wiz_next_until TEXT — presses n until TEXT shows below the header and the
# tab row (on a wide screen the tabs carry every step's title), walking through
# steps the test does not name (the step table grows; the walk should not
# break). Call it once the diagnosis is over, so only the page changes the screen.
wiz_body_has() { case $(wiz_cap | sed '1,2d') in *"$1"*) return 0 ;; esac; return 1; }
wiz_next_until() {
    [ -n "$1" ] || fail "nothing to wait for (a catalog or scenario lookup came back empty)"
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        wiz_body_has "$1" && return 0
        before=$(wiz_cap)
        wiz_keys n
        end=$(($(date +%s) + WIZ_TIMEOUT))
        while [ "$(wiz_cap)" = "$before" ]; do
            [ "$(date +%s)" -ge "$end" ] && fail "n did not change the page"
            sleep 0.05
        done
    done
    wiz_body_has "$1" || fail "never reached: $1"
}

wiz_has() { case $(wiz_cap) in *"$1"*) return 0 ;; esac; return 1; }
wiz_keys() { wiz_tmux send-keys -t w "$@"; }
wiz_type() { wiz_tmux send-keys -t w -l "$1"; }
wiz_resize() { wiz_tmux resize-window -t w -x "$1" -y "$2"; }
wiz_pid() {
    end=$(($(date +%s) + WIZ_TIMEOUT))
    while [ ! -s "$WIZ_TMP/pid" ]; do
        [ "$(date +%s)" -ge "$end" ] && fail "the program did not start"
        sleep 0.05
    done
    cat "$WIZ_TMP/pid"
}

# wiz_exit_status — waits for the program to end and prints its status.
wiz_exit_status() {
    wiz_wait "EXITED=" >/dev/null
    wiz_cap | sed -n 's/.*EXITED=\([0-9]*\).*/\1/p' | tail -n 1
}

# wiz_assert_restored — after the program ended: the pane left the alternate
# screen, shows its cursor, is out of keypad mode, and the tty is back in
# canonical mode with echo (asked of stty in the shell that follows).
wiz_assert_restored() {
    wiz_wait "wiz\$"
    [ "$(wiz_tmux display -p -t w '#{alternate_on}')" = 0 ] || fail "still on the alternate screen"
    [ "$(wiz_tmux display -p -t w '#{cursor_flag}')" = 1 ] || fail "cursor left hidden"
    [ "$(wiz_tmux display -p -t w '#{keypad_cursor_flag}')" = 0 ] || fail "keypad mode left on"
    wiz_keys 'stty -a | tr " " "\n" | grep -x -e icanon -e echo -e -icanon -e -echo | sort | tr "\n" " "; echo STTY-DONE' Enter
    wiz_wait "STTY-DONE"
    wiz_wait "echo icanon STTY-DONE" 3
}

# The catalog's text for key/field in a language, from help/<lang>/*.cat (so
# the tests follow the texts instead of copying them). \n becomes a space.
wiz_help_dir() {
    for d in "${MXDOCTOR_HELP:-}" "$(dirname "$MXD_BIN")/help" "$(dirname "$MXD_BIN")/../help"; do
        [ -n "$d" ] && [ -d "$d/en" ] && { echo "$d"; return; }
    done
}
wiz_cat() {
    awk -v key="[$2]" -v field="$3" '
        $0 == key { inside = 1; next }
        /^\[/ { inside = 0 }
        inside && index($0, field ":") == 1 {
            sub("^" field ":[ \t]*", ""); print; exit
        }' "$(wiz_help_dir)/$1"/*.cat
}
# A field of a lab scenario (by id), continuation lines joined with spaces.
wiz_scn() {
    for f in "$(wiz_help_dir)"/scenarios/*.scn; do
        grep -qx "id: $1" "$f" || continue
        awk -v field="$2" '
            index($0, field ":") == 1 { sub("^" field ":[ \t]*", ""); v = $0; on = 1; next }
            on && /^[ \t]+[^ \t]/ { sub("^[ \t]+", ""); v = v " " $0; next }
            on { exit }
            END { print v }' "$f"
        return
    done
}
# The first N characters (not bytes) of a text: a prefix that fits on one line.
wiz_prefix() { printf '%s' "$1" | python3 -c 'import sys; print(sys.stdin.read()[:int(sys.argv[1])], end="")' "$2"; }

[ "${WIZ_LIB:-}" = 1 ] && return 0 2>/dev/null

# ---- the harness's own test ----
wiz_need_tmux
MXD_BIN=/bin/sh
wiz_start 80 24 -c 'printf "ready\n"; read line; printf "got:%s\n" "$line"; exit 7'
wiz_wait ready
wiz_type "日本語 abc"
wiz_keys Enter
wiz_wait "got:日本語 abc"
[ "$(wiz_exit_status)" = 7 ] || fail "exit status not seen"
wiz_assert_restored
echo "harness ok"
