#!/bin/sh
# t_wizard_export.sh — saving the report from the summary: a file the user
# names, never overwritten without a "y", written whole (no temporary file
# left behind), in the format chosen with Tab.
WIZ_LIB=1 . "$(dirname "$0")/t_wizard_harness.sh"
wiz_need_lab

out="$WIZ_TMP/out"
mkdir -p "$out"
wiz_start 80 24 --lang en --lab healthy
wiz_wait "$(wiz_scn healthy title.en)"
wiz_keys Enter s
wiz_wait "$(wiz_cat en verdict.pass title)"

# first save: text
wiz_keys e
wiz_wait "Save the report"
wiz_wait "mxdoctor-healthy.lab.test.txt"      # the suggested name
wiz_keys C-u
wiz_type "$out/report.txt"
wiz_keys Enter
wiz_wait "bytes)."
[ -s "$out/report.txt" ] || fail "no report written"
grep -q "healthy.lab.test" "$out/report.txt" || fail "the report does not name the domain"
first=$(cksum <"$out/report.txt")

# second save to the same name: asked first; "n" leaves the file alone
wiz_keys e
wiz_wait "Save the report"
wiz_keys Tab Tab                               # text -> Markdown -> JSON
wiz_keys C-u
wiz_type "$out/report.txt"
wiz_keys Enter
wiz_wait "already exists. Overwrite it? (y/n)"
wiz_keys n
wiz_wait_gone "already exists"
[ "$(cksum <"$out/report.txt")" = "$first" ] || fail "the file changed although the answer was no"

# asked again, "y" replaces it: now it is JSON
wiz_keys Enter
wiz_wait "already exists. Overwrite it? (y/n)"
wiz_keys y
wiz_wait_gone "Save the report"
python3 -m json.tool "$out/report.txt" >/dev/null 2>&1 || fail "the overwritten report is not JSON"
[ "$(ls -A "$out")" = "report.txt" ] || fail "temporary files left: $(ls -A "$out")"

# a folder that does not exist: the error is shown, nothing is written
wiz_keys e
wiz_wait "Save the report"
wiz_keys C-u
wiz_type "$out/missing/r.txt"
wiz_keys Enter
wiz_wait "Could not save"
wiz_keys Escape
wiz_wait_gone "Save the report"

wiz_keys q
[ "$(wiz_exit_status)" = 0 ] || fail "unexpected exit status"
wiz_assert_restored
echo ok
