#!/bin/sh
# t_wizard_quit.sh — every way out leaves a working terminal: q when done,
# q while probes run (asks first; n stays, y leaves with status 3), Ctrl-C
# (SIGINT, 130) and SIGTERM (143), each in the middle of a slow diagnosis.
WIZ_LIB=1 . "$(dirname "$0")/t_wizard_harness.sh"
wiz_need_lab

# probes that take a while: every lab answer is delayed
slow() { wiz_start 80 24 --lang en --lab-latency 4000 --lab all-down; wiz_wait "$(wiz_scn all-down title.en)"; }

# q while running: the question, then n, then q and y
slow
wiz_keys Enter
wiz_wait "Waiting for"
wiz_keys q
wiz_wait "Quit anyway? (y/n)"
wiz_keys n
wiz_wait_gone "Quit anyway?"
wiz_has "Waiting for" || fail "the diagnosis stopped after n"
wiz_keys q
wiz_wait "Quit anyway? (y/n)"
wiz_keys y
[ "$(wiz_exit_status)" = 3 ] || fail "leaving a running diagnosis should exit 3"
wiz_assert_restored
wiz_tmux kill-server

# Ctrl-C while running
slow
wiz_keys C-c
[ "$(wiz_exit_status)" = 130 ] || fail "SIGINT should exit 130"
wiz_assert_restored
wiz_tmux kill-server

# SIGTERM while an overlay is open
slow
wiz_keys '?'
wiz_wait "Keys"
kill -TERM "$(wiz_pid)"
[ "$(wiz_exit_status)" = 143 ] || fail "SIGTERM should exit 143"
wiz_assert_restored
wiz_tmux kill-server

# q when the diagnosis is over: no question; the status is the verdict's
wiz_start 80 24 --lang en --lab all-down
wiz_wait "$(wiz_scn all-down title.en)"
wiz_keys s
wiz_wait "$(wiz_cat en verdict.fail title)"
wiz_wait "done in"          # the silent server's timeout has passed
wiz_keys q
[ "$(wiz_exit_status)" = 2 ] || fail "a failing domain should exit 2"
wiz_assert_restored
echo ok
