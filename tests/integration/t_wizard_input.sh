#!/bin/sh
# t_wizard_input.sh — the first page: the choices (none marked "not available"
# now that every goal has its steps), the domain field with wide characters (cursor
# column, Backspace over 例), input errors from the catalog under the field
# with the text kept, and history. DNS goes to a closed loopback port only.
WIZ_LIB=1 . "$(dirname "$0")/t_wizard_harness.sh"
wiz_need_tmux
"$MXD_BIN" --version >/dev/null 2>&1 || skip "$MXD_BIN does not run"

cursor_x() { wiz_tmux display -p -t w '#{cursor_x}'; }
wait_cursor() {
    end=$(($(date +%s) + WIZ_TIMEOUT))
    while [ "$(cursor_x)" != "$1" ]; do
        [ "$(date +%s)" -ge "$end" ] && fail "cursor at column $(cursor_x), expected $1"
        sleep 0.05
    done
}

# the field: the line under its label
field() { wiz_cap | awk 'found { print; exit } /^ Domain \(/ || /^ ドメイン名（/ { found = 1 }'; }
field_is() {
    end=$(($(date +%s) + WIZ_TIMEOUT))
    while [ "$(field | sed 's/^ *//; s/ *$//')" != "$1" ]; do
        [ "$(date +%s)" -ge "$end" ] && fail "the field shows '$(field)', expected '$1'"
        sleep 0.05
    done
}

wiz_start 80 24 --lang en --resolver 127.0.0.1:47153 --no-smtp --timeout 1
wiz_wait "What is wrong?"
wiz_wait "Practice lab"
# every choice has its steps now (policy, the bounce decoder): none is marked
wiz_has "$(wiz_cat en msg.ui.not_yet_tag text)" && fail "a choice is still marked not available"
wiz_keys 2                                   # mail from this domain: the field takes the keys
wiz_wait "Enter start"
wiz_has "$(wiz_cat en msg.ui.not_yet_outbound text | cut -c1-30)" && fail "the not-yet note is still shown"

wiz_type "user@"
wiz_keys Enter
wiz_wait "$(wiz_cat en msg.input.no_domain text | sed 's/{input}/user@/' | cut -c1-30)"
field_is "user@"                             # what was typed is kept
# the message follows the language (F2: letters are text in the field)
wiz_keys F2
wiz_wait "$(wiz_cat ja msg.input.no_domain text | sed 's/{input}/user@/' | cut -c1-20)"
field_is "user@"
wiz_keys F2
wiz_wait "$(wiz_cat en msg.input.no_domain text | sed 's/{input}/user@/' | cut -c1-30)"

# a pasted URL: the host is what gets diagnosed
wiz_keys C-u
wiz_type "https://Mail.Example.JP/inbox?user=q&lang=ja"
wiz_keys Enter
wiz_wait " mail.example.jp "
wiz_wait "$(wiz_cat en step.mx title)"
wiz_keys p
wiz_wait "What is wrong?"

# the field starts at column 3; 例 is two columns wide
wiz_keys C-u
field_is ""
wait_cursor 3
wiz_type "例え"
field_is "例え"
wait_cursor 7
wiz_keys BSpace
field_is "例"
wait_cursor 5
wiz_type ".jp"
field_is "例.jp"
wait_cursor 8
wiz_keys Left Left Left
wait_cursor 5
wiz_keys Home
wait_cursor 3
wiz_keys End
wait_cursor 8

wiz_keys Enter
wiz_wait "例.jp (xn--"                         # the header shows both forms
wiz_wait "$(wiz_cat en step.mx title)"
wiz_has "$(wiz_cat en msg.ui.not_yet_tag text)" && fail "the first step still says not available"

# back to the field: history brings the domain back
wiz_keys p
wiz_wait "What is wrong?"
wiz_keys C-u
field_is ""
wiz_keys Up
field_is "例.jp"

wiz_keys F10                                 # q would be text in the field
st=$(wiz_exit_status)
[ "$st" = 3 ] || fail "no resolver answered: expected status 3, got $st"
wiz_assert_restored
echo ok
