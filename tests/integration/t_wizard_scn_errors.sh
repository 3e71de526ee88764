#!/bin/sh
# t_wizard_scn_errors.sh — a teacher's scenario file with a mistake, in the
# wizard: given as a file, the wizard does not start and says FILE:LINE: what is
# wrong in the chosen language (exit 64); placed in the help folder, the lab menu
# says at its top that a file was left out and why, and L rewords it.
WIZ_LIB=1 . "$(dirname "$0")/t_wizard_harness.sh"
wiz_need_lab

# line 8 of it has a TTL of "99x"
cp "$(dirname "$0")/../fixtures/bad-ttl.scn" "$WIZ_TMP/bad.scn"

# the file on the command line
wiz_start 80 24 --lang ja --lab "$WIZ_TMP/bad.scn"
[ "$(wiz_exit_status)" = 64 ] || fail "a bad scenario file should exit 64"
wiz_wait "bad.scn:8: TTL（キャッシュの有効期間）「99x」"
wiz_assert_restored
wiz_tmux kill-server 2>/dev/null

# the file in the help folder
cp -r "$(wiz_help_dir)" "$WIZ_TMP/help"
cp "$WIZ_TMP/bad.scn" "$WIZ_TMP/help/scenarios/99-mine.scn"
WIZ_ENV="MXDOCTOR_HELP=$WIZ_TMP/help"
wiz_start 80 24 --lang ja --lab
wiz_wait "$(wiz_cat ja msg.ui.lab_menu_title text)"
wiz_wait "シナリオファイルのうち1個に間違いがあるため"
wiz_wait "「99x」が正しくありません"
wiz_wait "$(wiz_scn healthy title.ja)"
wiz_keys L
wiz_wait "1 scenario file(s) have a mistake"
wiz_wait "bad TTL '99x'"
wiz_wait_gone "「99x」"
echo "ok"
