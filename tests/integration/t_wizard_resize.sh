#!/bin/sh
# t_wizard_resize.sh — the layout follows the window: 80x24, 60x20 (narrow),
# 200x60 (commands beside the findings), too small (a message instead of a
# broken screen), and back; also while an overlay is open.
WIZ_LIB=1 . "$(dirname "$0")/t_wizard_harness.sh"
WIZ_SIZE="" # this test chooses every size itself
wiz_need_lab
command -v python3 >/dev/null 2>&1 || skip "python3 is needed to measure line widths"

# Every captured line fits in the window (display width, East Asian wide = 2).
fits() {
    wiz_cap | python3 -c '
import sys, unicodedata
cols = int(sys.argv[1])
for n, line in enumerate(sys.stdin.read().splitlines()):
    w = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)
    if w > cols:
        sys.exit("line %d is %d columns wide: %s" % (n, w, line))
' "$1" || fail "a line is wider than $1 columns"
}

# Japanese with no locale in the environment: the wizard picks C.UTF-8 itself
WIZ_ENV="-u LANG -u LC_ALL -u LC_CTYPE -u LC_MESSAGES"
wiz_start 80 24 --lang ja --lab healthy
wiz_wait "$(wiz_scn healthy title.ja)"
wiz_keys Enter
wiz_wait "$(wiz_cat ja step.mx title)"
fits 80

wiz_resize 60 20
wiz_wait "$(wiz_cat ja step.mx title)"
wiz_wait "q:終了"
wiz_wait "┐"
fits 60
# the panel's right edge moved in: no frame character beyond column 60
[ "$(wiz_tmux display -p -t w '#{window_width}')" = 60 ] || fail "tmux did not resize"

wiz_resize 200 60
wiz_wait "自分で確かめるには"
# side by side: the finding panel and the commands box start on the same row
wiz_cap | grep "$(wiz_cat ja sev.pass label)" | grep -q "自分で確かめるには" ||
    fail "the commands box is not beside the findings at 200 columns"
fits 200

wiz_resize 50 12
wiz_wait "50x12"
wiz_wait "60x16"
fits 50

wiz_resize 80 24
wiz_wait "$(wiz_cat ja step.mx title)"
wiz_wait_gone "50x12"

# an overlay survives a resize
wiz_keys '?'
wiz_wait "キー操作"
wiz_resize 60 20
wiz_wait "キー操作"
fits 60
wiz_resize 200 60
wiz_wait "キー操作"
fits 200
wiz_keys Escape
wiz_wait "$(wiz_cat ja step.mx title)"

# a start in a window that is too small shows the message in the language too
wiz_keys q
wiz_exit_status >/dev/null
wiz_tmux kill-server
wiz_start 40 10 --lang en --lab healthy
wiz_wait "too small"
wiz_wait "40x10"
fits 40
wiz_keys q
[ "$(wiz_exit_status)" = 0 ] || fail "q in a small window should quit"
wiz_assert_restored
echo ok
