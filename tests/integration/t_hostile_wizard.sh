#!/bin/sh
# t_hostile_wizard.sh — hostile SMTP servers (issue 8) in the wizard: the
# servers of hostile-escapes (clear screen, OSC 0/2 window title, OSC 52
# clipboard write, 8-bit controls), hostile-bidi and hostile-bytes, shown in the
# SMTP step and in the SMTP transcript of the details view, in tmux at 80x24.
#
# Asserted, for each:
#   - the pane shows the server's text, escaped (\x1B]52;c;..., <U+202E>, \xFF);
#   - everything the program wrote to the terminal (recorded with pipe-pane)
#     has no OSC, DCS, APC, PM, RIS or screen-title sequence, no BEL, no C1
#     control, no bidi override or isolate, and is valid UTF-8 — only the CSI
#     and charset sequences curses itself uses;
#   - capture-pane -e (which keeps SGR attributes only) has no other escape;
#   - the pane title is unchanged, and with set-clipboard on, no tmux paste
#     buffer was created (an OSC 52 that got through would make one).
WIZ_LIB=1 . "$(dirname "$0")/t_wizard_harness.sh"
wiz_need_lab
command -v python3 >/dev/null 2>&1 || skip "python3 is needed to check the terminal output"

cat >"$WIZ_TMP/raw.py" <<'PY'
import re, sys
data = open(sys.argv[1], "rb").read()
what = sys.argv[2]
problems = []
if not data:
    problems.append("nothing recorded")
try:
    data.decode("utf-8")
except UnicodeDecodeError as e:
    problems.append("not valid UTF-8: %s" % e)
for pat, name in [(rb"\x1b\]", "an OSC sequence (title, clipboard, ...)"),
                  (rb"\x1b[P_^X]", "a DCS/APC/PM/SOS string"),
                  (rb"\x1bc", "a terminal reset (RIS)"),
                  (rb"\x1bk", "a screen/tmux title sequence"),
                  (rb"\x07", "a BEL"), (rb"\x00", "a NUL"),
                  (rb"\xc2[\x80-\x9f]", "a C1 control (U+0080-U+009F)"),
                  (rb"\xe2\x80[\xaa-\xae]", "a bidi override (U+202A-U+202E)"),
                  (rb"\xe2\x81[\xa6-\xa9]", "a bidi isolate (U+2066-U+2069)")]:
    m = re.search(pat, data)
    if m:
        problems.append("%s: %s at byte %d: %r" % (what, name, m.start(),
                        data[max(0, m.start() - 20):m.start() + 20]))
if what == "capture-pane -e":
    # capture-pane -e keeps SGR only: anything else would be a tmux change
    for m in re.finditer(rb"\x1b(\[[0-9;:]*[@-~]|.)", data):
        if not m.group(0).endswith(b"m"):
            problems.append("capture-pane -e: escape %r" % m.group(0))
            break
else:
    # what curses writes: CSI sequences, charset selection, keypad mode, RI
    for m in re.finditer(rb"\x1b(\[[0-9;?>=!]*[ -/]*[@-~]|[()][0-9A-Za-z]|[=>M78])?", data):
        if not m.group(1):
            problems.append("%s: unexpected escape %r" % (what, data[m.start():m.start() + 8]))
            break
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
PY

# id | text the SMTP step must show | a transcript line the details view must show
check_one() {
    id=$1 step_text=$2 detail_text=$3
    host=$(wiz_scn "$id" domain)
    host="mail.$host"
    raw="$WIZ_TMP/raw.$id"
    : >"$raw"
    wiz_start 80 24 --lang en --lab "$id"
    wiz_tmux set -g set-clipboard on
    wiz_tmux pipe-pane -o -t w "cat >>'$raw'"
    title0=$(wiz_tmux display -p -t w '#{pane_title}')
    wiz_wait "$(wiz_scn "$id" title.en)"
    wiz_keys Enter
    wiz_wait "$(wiz_cat en step.mx title)"
    wiz_next_until "$(wiz_cat en step.smtp title)"
    wiz_wait "$(wiz_cat en smtp.ok title | sed "s/{host}/$host/")"
    wiz_wait "$step_text"
    wiz_keys d
    wiz_wait "SMTP conversations"
    i=0
    until wiz_has "$detail_text"; do
        i=$((i + 1))
        [ $i -le 10 ] || fail "$id: the details view never shows: $detail_text"
        before=$(wiz_cap)
        wiz_keys NPage
        end=$(($(date +%s) + 3))
        while [ "$(wiz_cap)" = "$before" ] && [ "$(date +%s)" -lt "$end" ]; do sleep 0.05; done
    done
    wiz_tmux capture-pane -p -e -t w >"$WIZ_TMP/cap.$id"
    title1=$(wiz_tmux display -p -t w '#{pane_title}')
    buffers=$(wiz_tmux list-buffers 2>/dev/null)
    wiz_keys Escape
    wiz_keys q
    st=$(wiz_exit_status)
    wiz_tmux pipe-pane -t w    # stop recording
    case $st in 0|1|2|3) ;; *) fail "$id: exit status $st" ;; esac
    [ "$title0" = "$title1" ] || fail "$id: the pane title changed: '$title0' -> '$title1'"
    [ -z "$buffers" ] || fail "$id: a paste buffer appeared (OSC 52 got through): $buffers"
    python3 "$WIZ_TMP/raw.py" "$raw" "terminal output" || fail "$id: hostile bytes reached the terminal"
    python3 "$WIZ_TMP/raw.py" "$WIZ_TMP/cap.$id" "capture-pane -e" || fail "$id: capture-pane -e"
    echo "$id: ok ($(wc -c <"$raw") bytes written to the terminal, pane title '$title1')"
    wiz_tmux kill-session -t w 2>/dev/null
}

check_one hostile-escapes '\x1B]52;c;' '250-X-CLIPBOARD \x1B]52;c;'
check_one hostile-bidi '<U+202E>ydaer' '250-X-BIDI <U+202E>moc.elpmaxe'
check_one hostile-bytes '\xFF\xFE' '250-X-BYTES \xFF\xFE'
echo ok
