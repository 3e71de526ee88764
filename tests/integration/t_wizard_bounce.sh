#!/bin/sh
# t_wizard_bounce.sh — "I have a bounce message": the first page's choice opens
# the paste box; a Postfix log line and a multi-line DSN (pasted the way a
# terminal pastes: many keystrokes, LF as CR) are decoded into panels whose
# titles come from the catalog, in both languages; the text survives the
# language switch, a resize and going back; a status's number key diagnoses
# the recipient's domain (the practice lab's, served on loopback) at the step
# that checks it, and "back" returns to the decoded bounce.
# Run at 80x24 starting in English and at 200x60 starting in Japanese.
WIZ_LIB=1 . "$(dirname "$0")/t_wizard_harness.sh"
wiz_need_lab

LAB_PID=""
trap '[ -n "$LAB_PID" ] && kill "$LAB_PID" 2>/dev/null; wiz_cleanup' EXIT

# The healthy scenario's servers only; its domain is what the bounce names.
"$MXD_BIN" --lab-serve healthy >"$WIZ_TMP/lab.out" 2>"$WIZ_TMP/lab.err" &
LAB_PID=$!
end=$(($(date +%s) + WIZ_TIMEOUT))
until grep -q '^ready ' "$WIZ_TMP/lab.out" 2>/dev/null; do
    kill -0 "$LAB_PID" 2>/dev/null || fail "the lab did not start: $(cat "$WIZ_TMP/lab.err")"
    [ "$(date +%s)" -ge "$end" ] && fail "the lab did not say ready"
    sleep 0.05
done
ready=$(grep '^ready ' "$WIZ_TMP/lab.out")
lab() { printf '%s\n' "$ready" | sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
DOMAIN=$(lab domain)
[ "$DOMAIN" = healthy.lab.test ] || fail "unexpected lab domain '$DOMAIN'"
CA=$(lab ca)

POSTFIX_LINE='Jan 10 12:00:01 mail postfix/smtp[1234]: 4B3C21234: to=<taro@example.jp>, relay=mx1.example.jp[192.0.2.1]:25, delay=1.2, dsn=5.1.1, status=bounced (host mx1.example.jp[192.0.2.1] said: 550 5.1.1 <taro@example.jp>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command))'

cat >"$WIZ_TMP/dsn.txt" <<EOF
This is the mail system at host mail.sender.example.

<hanako@$DOMAIN>: host mx1.$DOMAIN[127.0.0.1] said: 451 4.4.1
    Temporary failure, try again later (in reply to end of DATA command)

Reporting-MTA: dns; mail.sender.example
X-Postfix-Sender: rfc822; taro@sender.example

Final-Recipient: rfc822; hanako@$DOMAIN
Action: delayed
Status: 4.4.1
Diagnostic-Code: smtp; 451 4.4.1 Temporary failure, try again later

Final-Recipient: rfc822; jiro@example.net
Action: failed
Status: 5.7.26
Diagnostic-Code: smtp; 550 5.7.26 Unauthenticated email is not accepted
    because the DMARC policy of the sender domain requires it.
EOF
DSN_LINES=$(wc -l <"$WIZ_TMP/dsn.txt" | tr -d ' ')
# 100 KB of log lines: more than the box takes
i=0
while [ $i -lt 1300 ]; do
    echo "Jan 10 12:00:00 mail postfix/smtp[$i]: to=<u$i@example.jp>, dsn=4.4.1, status=deferred"
    i=$((i + 1))
done >"$WIZ_TMP/big.txt"

# lead LANG NAME — a label as the panels show it: an ASCII colon is followed by
# a space, a full-width one carries its own
lead() {
    t=$(wiz_cat "$1" "msg.ui.$2" text)
    case $t in *:) printf '%s ' "$t" ;; *) printf '%s' "$t" ;; esac
}

# size LANG LINES BYTES — the line under the box
size() { wiz_cat "$1" msg.ui.paste_size text | sed "s/{lines}/$2/; s/{bytes}/$3/"; }

run_case() {
    cols=$1 rows=$2 l=$3
    if [ "$l" = en ]; then o=ja; else o=en; fi
    wiz_start "$cols" "$rows" --lang "$l" --resolver "$(lab resolver)" --dns-port "$(lab dns_port)" \
        --smtp-port "$(lab smtp_port)" --allow-private --loopback-only --timeout 2 \
        ${CA:+--ca-file "$CA"}
    wiz_wait "$(wiz_cat "$l" msg.ui.q_what text)"
    choice=$(wiz_cap | grep -F "$(wiz_cat "$l" msg.ui.choice_bounce text)") || fail "no bounce choice"
    case $choice in
    *"$(wiz_cat "$l" msg.ui.not_yet_tag text)"*) fail "the bounce choice is still marked not available" ;;
    esac

    wiz_keys 3
    wiz_wait "$(wiz_cat "$l" msg.ui.paste_title text)"
    wiz_wait "$(size "$l" 0 0)"

    # 1. one Postfix log line, arriving as keystrokes
    wiz_type "$POSTFIX_LINE"
    wiz_wait "$(size "$l" 1 ${#POSTFIX_LINE})"
    wiz_keys C-d
    wiz_wait "$(wiz_cat "$l" bounce.5.1.1 title)"
    wiz_wait "$(wiz_cat "$l" msg.ui.bounce_title text)"
    wiz_wait "550 5.1.1  (bounce.5.1.1, Postfix)"
    wiz_keys L
    wiz_wait "$(wiz_cat "$o" bounce.5.1.1 title)"
    wiz_wait "$(lead "$o" bounce_recipient)taro@example.jp"
    wiz_keys L
    wiz_wait "$(wiz_cat "$l" bounce.5.1.1 title)"

    # back in the box the text is still there, through a language switch and a resize
    wiz_keys e
    wiz_wait "$(wiz_cat "$l" msg.ui.paste_title text)"
    wiz_wait "postfix/smtp[1234]"
    wiz_keys F2
    wiz_wait "$(wiz_cat "$o" msg.ui.paste_title text)"
    wiz_wait "$(size "$o" 1 ${#POSTFIX_LINE})"
    wiz_keys F2
    wiz_wait "$(wiz_cat "$l" msg.ui.paste_title text)"
    wiz_resize 60 20
    wiz_wait "postfix/smtp[1234]"
    wiz_wait "$(size "$l" 1 ${#POSTFIX_LINE})"
    wiz_resize "$cols" "$rows"
    wiz_wait "postfix/smtp[1234]"

    # 2. a multi-line DSN, pasted as a terminal pastes it
    wiz_keys C-u
    wiz_wait "$(size "$l" 0 0)"
    wiz_tmux load-buffer "$WIZ_TMP/dsn.txt"
    wiz_tmux paste-buffer -t w
    wiz_wait "$(size "$l" "$DSN_LINES" "$(wc -c <"$WIZ_TMP/dsn.txt" | tr -d ' ')")"
    wiz_wait "Final-Recipient: rfc822; jiro@example.net"
    wiz_keys F5
    wiz_wait "$(wiz_cat "$l" bounce.4.4.1 title)"
    wiz_wait "451 4.4.1  (bounce.4.4.1, Postfix)"
    wiz_keys NPage
    wiz_wait "$(wiz_cat "$l" bounce.5.7.26 title)"
    wiz_keys L
    wiz_wait "$(wiz_cat "$o" bounce.5.7.26 title)"
    wiz_keys Home
    wiz_wait "$(wiz_cat "$o" bounce.4.4.1 title)"
    wiz_keys L
    wiz_wait "$(wiz_cat "$l" bounce.4.4.1 title)"
    wiz_wait "$(wiz_cat "$l" msg.ui.bounce_jump text | sed "s/{key}/1/; s/{domain}/$DOMAIN/")"

    # 3. its key diagnoses the recipient's domain, at the step that checks it
    wiz_keys 1
    wiz_wait " $DOMAIN "
    wiz_wait "$(wiz_cat "$l" step.smtp title)"
    wiz_wait "$(wiz_cat "$l" msg.ui.finished text | sed 's/{time}.*//')"
    wiz_wait "$(wiz_cat "$l" smtp.ok title | sed "s/{host}/mx1.$DOMAIN/")"
    # back from the first step returns to the decoded bounce, then the box, then the choices
    wiz_keys 1
    wiz_wait "$(wiz_cat "$l" step.mx title)"
    wiz_keys p
    wiz_wait "$(wiz_cat "$l" msg.ui.bounce_title text)"
    wiz_keys Escape
    wiz_wait "$(wiz_cat "$l" msg.ui.paste_title text)"
    wiz_wait "Final-Recipient: rfc822; jiro@example.net"
    # 4. a paste larger than the box: cut at 64 KB, and the reader is told
    wiz_keys C-u
    wiz_wait "$(size "$l" 0 0)"
    wiz_tmux load-buffer "$WIZ_TMP/big.txt"
    wiz_tmux paste-buffer -t w
    wiz_wait "$(wiz_cat "$l" msg.ui.paste_full text | sed 's/{max}/64/')"
    wiz_wait "$(wiz_cat "$l" msg.ui.paste_size text | sed 's/.*{lines}//; s/{bytes}/65536/')"
    wiz_keys Escape
    wiz_wait "$(wiz_cat "$l" msg.ui.q_what text)"
    wiz_keys q
    st=$(wiz_exit_status)
    [ "$st" = 0 ] || fail "exit status $st after a healthy diagnosis"
    wiz_assert_restored
    wiz_tmux kill-server
}

run_case 80 24 en
run_case 200 60 ja
echo ok
