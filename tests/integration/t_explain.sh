#!/bin/sh
# mxdoctor --explain: decodes a pasted bounce from a file and from stdin, in
# English and Japanese, as text, Markdown and JSON, also when MIME encodings
# (base64, ISO-2022-JP, encoded-words) hide it; exit 0 when something was
# decoded, 3 when nothing was, 64 when the input cannot be read. No network.
. "$(dirname "$0")/lib.sh"

"$MXD_BIN" --help 2>/dev/null | grep -q -- --explain || skip "--explain is not wired into $MXD_BIN yet"

ESC=$(printf '\033')

# A Postfix DSN with two recipients (unknown user; greylisted), a hostile
# escape sequence in the server text, and the returned message after it.
cat >"$TMPD/dsn.eml" <<'EOF'
From: MAILER-DAEMON@mail.example.com (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender

This is the mail system at host mail.example.com.

<a@example.jp>: host mx.example.jp[192.0.2.25] said: 550 5.1.1 <a@example.jp>:
    Recipient address rejected: User unknown in virtual mailbox table (in reply
    to RCPT TO command)

Reporting-MTA: dns; mail.example.com
X-Postfix-Sender: rfc822; taro@example.com

Final-Recipient: rfc822; a@example.jp
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <a@example.jp>: Recipient address rejected:
    User unknown in virtual mailbox table

Final-Recipient: rfc822; b@example.net
Action: delayed
Status: 4.7.1
Diagnostic-Code: smtp; 450 4.7.1 <b@example.net>: Greylisted, see
    http://postgrey.example/help/example.net.html ESC_HERE[2J

Content-Type: message/rfc822

Subject: 554 5.7.1 must not be read
EOF
sed "s/ESC_HERE/$ESC/" "$TMPD/dsn.eml" >"$TMPD/dsn2.eml" && mv "$TMPD/dsn2.eml" "$TMPD/dsn.eml"

# From a file, English text.
"$MXD_BIN" --explain --lang en "$TMPD/dsn.eml" >"$TMPD/en.txt" 2>"$TMPD/en.err"
rc=$?
[ $rc = 0 ] || fail "file/en: exit $rc: $(cat "$TMPD/en.err")"
grep -q "The address does not exist" "$TMPD/en.txt" || fail "en: no 5.1.1 title: $(cat "$TMPD/en.txt")"
grep -q "bounce.5.1.1" "$TMPD/en.txt" || fail "en: no id bounce.5.1.1"
grep -q "bounce.4.7.1" "$TMPD/en.txt" || fail "en: no id bounce.4.7.1"
grep -q "a@example.jp" "$TMPD/en.txt" || fail "en: recipient missing"
grep -q "mxdoctor --report example.net" "$TMPD/en.txt" || fail "en: no command for the greylisted domain"
grep -q "5.7.1" "$TMPD/en.txt" && fail "en: read past the returned message"
if LC_ALL=C grep -q "$ESC" "$TMPD/en.txt"; then fail "en: ESC reached the output"; fi
grep -q '\\x1B\[2J' "$TMPD/en.txt" || fail "en: the escape sequence is not shown escaped"

# From stdin, Japanese text: without FILE and with "-".
"$MXD_BIN" --explain --lang ja <"$TMPD/dsn.eml" >"$TMPD/ja.txt" 2>"$TMPD/ja.err"
rc=$?
[ $rc = 0 ] || fail "stdin/ja: exit $rc: $(cat "$TMPD/ja.err")"
grep -q "宛先のアドレスが存在しません" "$TMPD/ja.txt" || fail "ja: no Japanese title: $(cat "$TMPD/ja.txt")"
grep -q "グレイリスティング" "$TMPD/ja.txt" || fail "ja: greylisting not explained"
"$MXD_BIN" --explain --lang ja - <"$TMPD/dsn.eml" >"$TMPD/ja2.txt" 2>&1 || fail "stdin '-': exit $?"
cmp -s "$TMPD/ja.txt" "$TMPD/ja2.txt" || fail "'-' and no FILE differ"

# JSON, both ways; the contract's keys.
for src in file stdin; do
  if [ $src = file ]; then
    "$MXD_BIN" --explain --format json "$TMPD/dsn.eml" >"$TMPD/out.json" 2>"$TMPD/json.err"
  else
    "$MXD_BIN" --explain --format json <"$TMPD/dsn.eml" >"$TMPD/out.json" 2>"$TMPD/json.err"
  fi
  rc=$?
  [ $rc = 0 ] || fail "json/$src: exit $rc: $(cat "$TMPD/json.err")"
  python3 - "$TMPD/out.json" <<'PY' || fail "json/$src: $(head -c 600 "$TMPD/out.json")"
import json, sys
j = json.load(open(sys.argv[1], encoding="utf-8"))
assert j["tool"] == "mxdoctor" and "version" in j
st = j["statuses"]
assert [s["id"] for s in st] == ["bounce.5.1.1", "bounce.4.7.1"], st
for s in st:
    assert set(s) >= {"recipient", "code", "enhanced", "id", "severity", "mta", "server_text", "step"}, s
a, b = st
assert a["recipient"] == "a@example.jp" and a["code"] == 550 and a["enhanced"] == "5.1.1"
assert a["severity"] == "fail" and a["step"] == "none" and a["mta"] == "postfix"
assert b["recipient"] == "b@example.net" and b["code"] == 450 and b["severity"] == "warn"
assert b["step"] == "delivery" and "\x1b" not in b["server_text"]
assert j["sender"] == "taro@example.com" and j["exit_status"] == 0
PY
done

# Markdown.
"$MXD_BIN" --explain --format markdown --lang en "$TMPD/dsn.eml" >"$TMPD/out.md" || fail "markdown: exit $?"
grep -q '^# mxdoctor' "$TMPD/out.md" || fail "markdown: no heading"
grep -q '^## \\\[FAIL\\\]' "$TMPD/out.md" || fail "markdown: no status heading: $(cat "$TMPD/out.md")"

# A single Postfix log line and a line without any code.
printf '%s\n' 'Mar  4 10:15:00 mail postfix/smtp[12346]: 4TqS2: to=<i@example.net>, relay=none, delay=30, status=deferred (connect to mx.example.net[198.51.100.9]:25: Connection timed out)' |
  "$MXD_BIN" --explain --format json >"$TMPD/log.json" || fail "log line: exit $?"
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); s=j["statuses"]; assert len(s)==1 and s[0]["id"]=="bounce.local.timeout" and s[0]["step"]=="smtp", s' \
  "$TMPD/log.json" || fail "log line: $(cat "$TMPD/log.json")"

# Nothing recognised: 3. Unreadable: 64.
printf 'Thanks for your mail.\n' | "$MXD_BIN" --explain >"$TMPD/none.txt" 2>&1
rc=$?
[ $rc = 3 ] || fail "nothing recognised: exit $rc"
"$MXD_BIN" --explain "$TMPD/does-not-exist.eml" >"$TMPD/missing.txt" 2>&1
rc=$?
[ $rc = 64 ] || fail "missing file: exit $rc"

# A MIME bounce whose words its encodings hide: a Japanese ISP's notice in
# ISO-2022-JP and base64, an encoded-word Subject, and after it the returned
# original (base64 too), which must not be read. Read raw, nothing is found.
cat >"$TMPD/jis.eml" <<'EOF'
From: MAILER-DAEMON@mx01.example-isp.ne.jp
To: taro@example.com
Subject: =?ISO-2022-JP?B?GyRCJWEhPCVrR1s/LiUoJWkhPCROJCpDTiRpJDsbKEI=?=
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="==ISP_0206_0001=="

--==ISP_0206_0001==
Content-Type: text/plain; charset="ISO-2022-JP"
Content-Transfer-Encoding: base64

GyRCJDMkTiVhITwlayRPISJBdz8uJDUkbCQ/JWEhPCVrJCxHWz8uJEckLSRKJCskQyQ/JDMkSCRy
JCpDTiRpJDskOSRrJD8kYSRLISIbKEIKGyRCJWEhPCVrJTUhPCVQITwkKyRpPCtGMEUqJEtBdz8u
JDUkbCRGJCQkXiQ5ISMbKEIKChskQjA4QGgbKEI6IGhhbmFrb0BleGFtcGxlLm5lLmpwChskQiUo
JWkhPEZiTUYbKEI6IDU1MCA1LjEuMSA8aGFuYWtvQGV4YW1wbGUubmUuanA+IBskQjA4QGgkTiVh
ITwlayUiJUklbCU5JCxCODpfJDckXiQ7JHMbKEIgKFVzZXIgdW5rbm93bikK

--==ISP_0206_0001==
Content-Type: message/rfc822

From: taro@example.com
To: hanako@example.ne.jp
Subject: hello
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

NTUyIDUuMi4yIG1haWxib3ggZnVsbD8gbm86IHRoaXMgaXMgdGhlIG9yaWdpbmFsLCBub3QgdG8gYmUgcmVhZAo=
--==ISP_0206_0001==--
EOF
for lang in en ja; do
  "$MXD_BIN" --explain "$TMPD/jis.eml" --lang $lang >"$TMPD/jis-$lang.txt" 2>"$TMPD/jis-$lang.err"
  rc=$?
  [ $rc = 0 ] || fail "mime/$lang: exit $rc: $(cat "$TMPD/jis-$lang.err") $(cat "$TMPD/jis-$lang.txt")"
  grep -q "bounce.5.1.1" "$TMPD/jis-$lang.txt" || fail "mime/$lang: no bounce.5.1.1: $(cat "$TMPD/jis-$lang.txt")"
  grep -q "hanako@example.ne.jp" "$TMPD/jis-$lang.txt" || fail "mime/$lang: recipient missing"
  grep -q "550 5.1.1" "$TMPD/jis-$lang.txt" || fail "mime/$lang: codes missing"
  grep -q "宛先のメールアドレスが存在しません" "$TMPD/jis-$lang.txt" || fail "mime/$lang: server text not decoded"
  grep -q "5\.2\.2" "$TMPD/jis-$lang.txt" && fail "mime/$lang: read the returned original"
  if LC_ALL=C grep -q "$ESC" "$TMPD/jis-$lang.txt"; then fail "mime/$lang: ESC reached the output"; fi
done
grep -q "The address does not exist" "$TMPD/jis-en.txt" || fail "mime/en: no English title: $(cat "$TMPD/jis-en.txt")"
grep -q "宛先のアドレスが存在しません" "$TMPD/jis-ja.txt" || fail "mime/ja: no Japanese title: $(cat "$TMPD/jis-ja.txt")"
"$MXD_BIN" --explain --format json <"$TMPD/jis.eml" >"$TMPD/jis.json" || fail "mime/json: exit $?"
python3 - "$TMPD/jis.json" <<'PY' || fail "mime/json: $(head -c 800 "$TMPD/jis.json")"
import json, sys
j = json.load(open(sys.argv[1], encoding="utf-8"))
st = j["statuses"]
assert len(st) == 1, st
s = st[0]
assert s["id"] == "bounce.5.1.1" and s["recipient"] == "hanako@example.ne.jp", s
assert s["code"] == 550 and s["enhanced"] == "5.1.1" and s["source"] == "text", s
assert s["server_text"] == "<hanako@example.ne.jp> 宛先のメールアドレスが存在しません (User unknown)", s
assert j["truncated"] is False and j["exit_status"] == 0
PY

# A 10 MB paste is read only up to 1 MiB and finishes quickly.
python3 -c 'import sys; sys.stdout.write("550 5.1.1 <big@example.jp> User unknown\n\n" + ("x" * 1000 + "\n") * 10240)' >"$TMPD/big.txt"
"$MXD_BIN" --explain --format json "$TMPD/big.txt" >"$TMPD/big.json" || fail "10 MB: exit $?"
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["truncated"] is True and j["statuses"][0]["id"]=="bounce.5.1.1"' \
  "$TMPD/big.json" || fail "10 MB: $(head -c 300 "$TMPD/big.json")"
exit 0
