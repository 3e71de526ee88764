#!/bin/sh
# t_wizard_rcpt.sh — the recipient check from the delivery page, on the lab
# scenario rcpt-unknown-user (its server knows info@ and sales@ only): c asks
# the question with postmaster@ prefilled, e edits the address, y asks the MX;
# an unknown user comes back as the rcpt.rejected panel. In English, then in
# Japanese.
WIZ_LIB=1 . "$(dirname "$0")/t_wizard_harness.sh"
wiz_need_lab

dom=shop.lab.test
for lang in en ja; do
    wiz_start 100 40 --lang $lang --lab rcpt-unknown-user
    wiz_wait "$(wiz_prefix "$(wiz_scn rcpt-unknown-user question.$lang)" 15)"
    wiz_keys Enter
    # the diagnosis is over (the question needs the working MX)
    case $lang in en) wiz_wait "done in" 30 ;; ja) wiz_wait "完了" 30 ;; esac
    wiz_next_until "$(wiz_cat $lang step.delivery title)"
    wiz_wait "$(wiz_cat $lang msg.ui.foot_delivery text)"
    wiz_keys c
    wiz_wait "$(wiz_cat $lang msg.ui.rcpt_title text)"
    wiz_wait "postmaster@$dom"
    wiz_keys e C-u
    wiz_wait_gone "postmaster@$dom"
    wiz_type "tanaka@$dom"
    wiz_keys Enter
    wiz_wait "$(wiz_cat $lang msg.ui.rcpt_keys text)"
    wiz_keys y
    wiz_wait_gone "$(wiz_prefix "$(wiz_cat $lang msg.ui.rcpt_question text)" 20)"
    rejected=$(wiz_cat $lang rcpt.rejected title | sed "s/{host}//; s/{rcpt}/tanaka@$dom/")
    wiz_wait "$(wiz_prefix "$rejected" 40)" 20
    wiz_keys q
    wiz_wait "EXITED="
    wiz_tmux kill-server 2>/dev/null
done
exit 0
