#!/bin/sh
# t_wizard_lang.sh — L switches the language mid-step and everything follows:
# the step, the overlays (help, glossary, details), and back again.
WIZ_LIB=1 . "$(dirname "$0")/t_wizard_harness.sh"
wiz_need_lab

# the scenario given as a file path rather than an id
wiz_start 80 24 --lang en --lab "$(wiz_help_dir)/scenarios/01-healthy.scn"
wiz_wait "$(wiz_scn healthy title.en)"
wiz_keys Enter n
wiz_wait "$(wiz_cat en step.target title)"

wiz_keys L
wiz_wait "$(wiz_cat ja step.target title)"
wiz_wait "状況："
wiz_wait_gone "$(wiz_cat en step.target title)"
wiz_wait " $(wiz_cat ja sev.pass label) "

# overlays follow the language too
wiz_keys '?'
wiz_wait "キー操作"
wiz_keys L
wiz_wait "Keys"
wiz_keys Escape
wiz_wait_gone "Keys"
wiz_wait "$(wiz_cat en step.target title)"

wiz_keys g
gkey=$(awk '/^\[glossary\./ { print substr($0, 2, length($0) - 2); exit }' "$(wiz_help_dir)"/en/*.cat)
en_term=$(wiz_cat en "$gkey" term)
ja_term=$(wiz_cat ja "$gkey" term)
# each entry names the term in the other language too
wiz_wait "$en_term ($ja_term)"
wiz_keys L
wiz_wait "$ja_term ($en_term)"
wiz_keys g
wiz_wait "$(wiz_cat ja step.target title)"

# page_until KEY TEXT — PgDn or PgUp until TEXT shows (the details hold every
# step's raw data)
page_until() {
    key=$1
    shift
    for _ in 1 2 3 4 5 6 7 8 9 10 11 12; do
        wiz_has "$1" && return 0
        before=$(wiz_cap)
        wiz_keys "$key"
        end=$(($(date +%s) + WIZ_TIMEOUT))
        while [ "$(wiz_cap)" = "$before" ]; do
            [ "$(date +%s)" -ge "$end" ] && fail "$key did not scroll, and no: $1"
            sleep 0.05
        done
    done
    wiz_has "$1" || fail "never shown: $1"
}

# details: the raw MX answer, formatted as records, the SMTP conversation,
# and at the end the policy step's records, under headings in the language
wiz_keys d
wiz_wait "IN MX 10 mx1.healthy.lab.test."
page_until NPage "S: 220"
wiz_keys End
wiz_wait "DANE (TLSA)"
page_until PPage '"v=spf1 mx -all"'
page_until PPage "$(wiz_cat ja msg.ui.details_policy text)"
wiz_keys Escape
wiz_wait "$(wiz_cat ja step.target title)"

wiz_keys L
wiz_wait "$(wiz_cat en step.target title)"

# r runs everything again, and it finishes again
wiz_keys r
wiz_wait "Running the checks again."
wiz_wait "done in"
wiz_wait "$(wiz_cat en target.ok title | sed "s/{host}/mx1.healthy.lab.test/")"
wiz_keys q
[ "$(wiz_exit_status)" = 0 ] || fail "unexpected exit status"
wiz_assert_restored
echo ok
