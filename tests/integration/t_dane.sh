#!/bin/sh
# DANE through the real binary: the built-in DANE scenarios in JSON and in the
# text report (English and Japanese), --no-smtp, and the digest mxdoctor tells
# an administrator to publish against the one the documented openssl command
# computes from the lab server's certificate.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "no python3"

finding() { # finding ID KEY: the parameter KEY of the first finding ID in report.json
  python3 - "$TMPD/report.json" "$1" "$2" <<'PY'
import json, sys
j = json.load(open(sys.argv[1], encoding="utf-8"))
for s in j["steps"]:
    for f in s["findings"]:
        if f["id"] == sys.argv[2]:
            print(f["params"].get(sys.argv[3], "") if sys.argv[3] != "severity" else f["severity"])
            sys.exit(0)
sys.exit(1)
PY
}

lab_json() { # lab_json ID [args]
  id=$1; shift
  "$MXD_BIN" --lab "$id" --report --format json --timeout 2 "$@" >"$TMPD/report.json" 2>"$TMPD/report.err"
  RC=$?
}

# A certificate renewed with a new key: the TLSA record holds the old one.
lab_json dane-key-renewed
[ $RC -eq 2 ] || fail "dane-key-renewed: exit $RC, wanted 2 ($(cat "$TMPD/report.err"))"
json_eval '"dane.mismatch" in ids and "dane.match" not in ids and j["verdict"] == "fail"'
[ "$(finding dane.mismatch severity)" = fail ] || fail "dane.mismatch is not a failure"
spki=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["mx"][0]["smtp"][0]["certificate"]["spki_sha256"])' "$TMPD/report.json")
printf '%s' "$spki" | grep -Eq '^[0-9a-f]{64}$' || fail "no SPKI digest in the JSON: $spki"
[ "$(finding dane.mismatch publish)" = "3 1 1 $spki" ] || fail "publish is $(finding dane.mismatch publish), the key is $spki"
[ "$(finding dane.mismatch address)" = 127.0.53.10 ] || fail "dane.mismatch names no address"
case "$(finding dane.mismatch records)" in
  "3 1 1 "*) ;; *) fail "records: $(finding dane.mismatch records)" ;;
esac
case "$(finding dane.mismatch records)" in
  "3 1 1 $(printf '%s' "$spki" | cut -c1-16)"*) fail "the old record holds the new key" ;;
esac

# The text report says it in both languages, placeholders filled (each run
# is a new lab with new keys: the digest differs from the one above).
for lang in en ja; do
  "$MXD_BIN" --lab dane-key-renewed --report --lang $lang --timeout 2 >"$TMPD/text.$lang" 2>&1
  grep -Eq "IN TLSA 3 1 1 [0-9a-f]{64}" "$TMPD/text.$lang" || fail "$lang text lacks the record to publish"
  grep -q 'openssl pkey -pubin -outform der | sha256sum' "$TMPD/text.$lang" || fail "$lang: no command"
  grep -q 'dig +dnssec +short TLSA _25._tcp.mx.renewed.lab.test' "$TMPD/text.$lang" || fail "$lang: no dig"
  if grep -q '{[a-z_]*}' "$TMPD/text.$lang"; then fail "$lang: unfilled placeholder: $(grep -o '{[a-z_]*}' "$TMPD/text.$lang" | head -n 3)"; fi
done
grep -q 'The certificate of mx.renewed.lab.test does not match DANE' "$TMPD/text.en" || fail "en title"
grep -q 'mx.renewed.lab.testの証明書がDANEのレコードと一致しません' "$TMPD/text.ja" || fail "ja title"

# A matching record; and with --no-smtp nothing is compared, nothing guessed.
lab_json dane-ok
[ $RC -eq 0 ] || fail "dane-ok: exit $RC"
[ "$(finding dane.match severity)" = pass ] || fail "dane-ok: no dane.match"
[ "$(finding dane.match addresses)" = 127.0.53.10 ] || fail "dane.match addresses"
lab_json dane-ok --no-smtp
json_eval '"dane.match" not in ids and "dane.mismatch" not in ids'
[ "$(finding dane.present reason)" = no_smtp ] || fail "--no-smtp: $(finding dane.present reason)"
[ "$(finding dane.present dnssec)" = validated ] || fail "--no-smtp: dnssec $(finding dane.present dnssec)"
[ "$(finding dane.present severity)" = info ] || fail "--no-smtp: not info"

# Records in an unsigned zone are only information; a server without STARTTLS fails.
lab_json dane-unsigned
[ "$(finding dane.present reason)" = not_validated ] || fail "dane-unsigned: $(finding dane.present reason)"
lab_json dane-no-starttls
[ "$(finding dane.no_starttls reason)" = no_starttls ] || fail "dane-no-starttls"
[ "$(finding dane.no_starttls severity)" = fail ] || fail "dane.no_starttls is not a failure"

# The documented command, against the served lab, gives the digest mxdoctor
# asks the administrator to publish; and the lab resolver sets AD only when asked.
command -v openssl >/dev/null || { echo "no openssl: digest cross-check skipped"; exit 0; }
start_lab help/scenarios/91-dane-key-renewed.scn
report_json "$LAB_DOMAIN"
want=$(finding dane.mismatch publish)
got=$(openssl s_client -starttls smtp -connect "127.0.53.10:$LAB_SMTP_PORT" -servername mx.renewed.lab.test \
        </dev/null 2>/dev/null | openssl x509 -pubkey -noout | openssl pkey -pubin -outform der | sha256sum | cut -d' ' -f1)
[ "$want" = "3 1 1 $got" ] || fail "openssl says $got, mxdoctor says $want"
if command -v dig >/dev/null; then
  host=${LAB_RESOLVER%:*}
  dig +time=2 +tries=1 +dnssec -p "$LAB_DNS_PORT" @"$host" TLSA _25._tcp.mx.renewed.lab.test >"$TMPD/dig1" 2>&1
  grep -q 'flags: qr rd ra ad;' "$TMPD/dig1" || fail "no AD with +dnssec: $(grep flags "$TMPD/dig1")"
  dig +time=2 +tries=1 +noadflag +noedns -p "$LAB_DNS_PORT" @"$host" TLSA _25._tcp.mx.renewed.lab.test >"$TMPD/dig2" 2>&1
  grep -q 'flags: qr rd ra;' "$TMPD/dig2" || fail "AD without asking: $(grep flags "$TMPD/dig2")"
  grep -q "TLSA	3 1 1 " "$TMPD/dig2" || fail "dig sees no TLSA: $(cat "$TMPD/dig2")"
fi
echo "ok"
