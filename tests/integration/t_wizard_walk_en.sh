#!/bin/sh
# t_wizard_walk_en.sh — a whole walk through the wizard in English at 80x24
# (or WIZ_SIZE):
# the lab question, every step, the summary with the lab's answer, then q.
WIZ_LIB=1 . "$(dirname "$0")/t_wizard_harness.sh"
wiz_need_lab

dom=healthy.lab.test
# --lab without a scenario: the menu (id, title, level), healthy listed first;
# no locale in the environment at all (the wizard finds a UTF-8 one itself)
WIZ_ENV="-u LANG -u LC_ALL -u LC_CTYPE -u LC_MESSAGES"
wiz_start 80 24 --lang en --lab
wiz_wait "Practice lab: choose a scenario"
wiz_wait "> healthy"
wiz_wait "$(wiz_scn healthy title.en)  [beginner]"
wiz_keys Enter
wiz_wait "Question"
wiz_wait "$(wiz_prefix "$(wiz_scn healthy question.en)" 30)"
# the hint on h, over the question
wiz_keys h
wiz_wait "Hint"
wiz_wait "$(wiz_prefix "$(wiz_scn healthy hint.en)" 30)"
wiz_keys Escape
wiz_wait_gone "$(wiz_prefix "$(wiz_scn healthy hint.en)" 30)"

wiz_keys Enter
wiz_wait "done in"
wiz_wait "$(wiz_cat en step.mx title)"
wiz_wait "$(wiz_cat en mx.found title | sed "s/{domain}/$dom/")"
wiz_wait " $(wiz_cat en sev.pass label) "
wiz_wait "nslookup -type=mx $dom"          # the equivalent command

wiz_keys n
wiz_wait "$(wiz_cat en step.target title)"
wiz_wait "$(wiz_cat en target.ok title | sed "s/{host}/mx1.$dom/")"

wiz_keys Right
wiz_next_until "$(wiz_cat en step.smtp title)"
wiz_wait "$(wiz_cat en smtp.ok title | sed "s/{host}/mx1.$dom/")"
wiz_keys Down Down Down
if [ "$(wiz_tmux display -p -t w '#{window_height}')" -le 30 ]; then
    wiz_wait_gone "$(wiz_cat en step.smtp intro | cut -c1-40)"   # scrolled
fi

wiz_next_until "$(wiz_cat en verdict.pass title)"
wiz_wait "Read this to the caller"
wiz_keys End
wiz_wait "Answer"
wiz_wait "$(wiz_prefix "$(wiz_scn healthy answer.en)" 25)"

# back and forth: p goes back a step, Backspace too
wiz_keys p
wiz_wait_gone "$(wiz_cat en verdict.pass title)"
wiz_keys 2
wiz_wait "$(wiz_cat en step.target title)"
wiz_keys BSpace
wiz_wait "$(wiz_cat en step.mx title)"

wiz_keys q
[ "$(wiz_exit_status)" = 0 ] || fail "a healthy domain should exit 0"
wiz_assert_restored
echo ok
