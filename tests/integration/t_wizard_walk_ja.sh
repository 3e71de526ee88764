#!/bin/sh
# t_wizard_walk_ja.sh — a whole walk in Japanese at 80x24, the language taken
# from LANG (ja_JP.UTF-8, which need not be installed: the wizard then falls
# back to a C.UTF-8 character set itself). A scenario with warnings: exit 1.
WIZ_LIB=1 . "$(dirname "$0")/t_wizard_harness.sh"
wiz_need_lab

WIZ_ENV="LANG=ja_JP.UTF-8 LC_ALL= LANGUAGE="
wiz_start 80 24 --lab primary-down
dom=$(wiz_scn primary-down domain)
wiz_wait "$(wiz_scn primary-down title.ja)"
wiz_wait "$(wiz_prefix "$(wiz_scn primary-down question.ja)" 15)"

wiz_keys Enter
wiz_wait "完了"
wiz_wait "$(wiz_cat ja step.mx title)"
wiz_wait "状況："
wiz_keys n
wiz_wait "$(wiz_cat ja step.target title)"
wiz_next_until "$(wiz_cat ja step.smtp title)"
# the failing primary comes first, labelled with the catalog's word for "warn"
wiz_wait " $(wiz_cat ja sev.warn label) "
wiz_wait "$(wiz_cat ja smtp.refused title | sed "s/{host}/mx1.$dom/" | cut -c1-30)"

wiz_next_until "$(wiz_cat ja verdict.warn title)"
wiz_wait "電話口で伝える内容"
# causes are numbered, most likely first
wiz_keys Down Down Down Down Down Down Down Down
wiz_wait "1. "

wiz_keys q
[ "$(wiz_exit_status)" = 1 ] || fail "warnings should exit 1"
wiz_assert_restored
echo ok
