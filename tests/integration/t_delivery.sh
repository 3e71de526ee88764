#!/bin/sh
# t_delivery.sh — step "delivery" end to end: the real binary against the practice
# lab. The recipient check (--rcpt) on the built-in scenarios rcpt-unknown-user
# (550 5.1.1) and greylisting (450 4.7.1), the test message (--send-test) to a
# server that takes it and to one that refuses DATA, the network verdicts that no
# built-in scenario shows (--probe-host, every MX refusing), the JSON "delivery"
# data behind them, and the usage errors. Skips until the engine runs the step.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null 2>&1 || skip "python3 is needed to read the JSON"
"$MXD_BIN" --help 2>/dev/null | grep -q -- '--rcpt' || skip "this mxdoctor has no --rcpt yet"

run() { # run SCENARIO-OR-FILE [options]: the diagnosis as JSON into $TMPD/report.json, RC
  s=$1; shift
  "$MXD_BIN" --lab "$s" --report --format json --timeout 2 "$@" >"$TMPD/report.json" \
    2>"$TMPD/report.err"
  RC=$?
}

# finding_eval ID EXPR: EXPR over f, the delivery finding with this id (params p).
finding_eval() {
  python3 - "$TMPD/report.json" "$1" "$2" <<'PY' || fail "finding $1: $2 ($(head -c 800 "$TMPD/report.json"))"
import json, sys
j = json.load(open(sys.argv[1], encoding="utf-8"))
fs = [f for s in j["steps"] if s["id"] == "delivery" for f in s["findings"] if f["id"] == sys.argv[2]]
if len(fs) != 1:
    sys.exit(1)
f = fs[0]
p = f["params"]
sys.exit(0 if eval("(" + sys.argv[3] + ")") else 1)
PY
}

# d_eval EXPR: EXPR over d, the report's "delivery" object.
d_eval() {
  python3 - "$TMPD/report.json" "$1" <<'PY' || fail "delivery json: $1 ($(head -c 800 "$TMPD/report.json"))"
import json, sys
j = json.load(open(sys.argv[1], encoding="utf-8"))
d = j["delivery"]
sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)
PY
}

# scn NAME DOMAIN: writes $TMPD/NAME.scn from stdin (the zone and server lines)
# under a header that the lab accepts.
scn() {
  f="$TMPD/$1.scn"
  printf 'id: t-%s\ndomain: %s\ntitle.en: test fixture\ntitle.ja: テスト用\nexpect: mx.found\n\n' \
    "$1" "$2" >"$f"
  cat >>"$f"
}

# ---- the recipient check: an unknown user -------------------------------------------
run rcpt-unknown-user --rcpt tanaka@shop.lab.test
[ "$RC" -le 3 ] || fail "rcpt-unknown-user: exit $RC: $(cat "$TMPD/report.err")"
python3 -c 'import json, sys; sys.exit("delivery" not in json.load(open(sys.argv[1])))' \
  "$TMPD/report.json" || skip "the engine does not run the delivery step yet"
[ "$RC" -eq 2 ] || fail "a rejected recipient is a failure: exit $RC"
json_eval '[s["id"] for s in j["steps"]].count("delivery") == 1'
json_eval '"rcpt.rejected" in ids and "delivery.path" in ids and "network.ok" in ids'
finding_eval rcpt.rejected 'f["severity"] == "fail" and p["code"] == "550" and p["enhanced"] == "5.1.1"
  and p["rcpt"] == "tanaka@shop.lab.test" and p["host"] == "mx.shop.lab.test"
  and p["bounce"] == "bounce.5.1.1" and "User unknown" in p["text"]'
finding_eval delivery.path 'f["severity"] == "pass" and p["conclusion"] == "primary"
  and p["path"].startswith("1. 10 mx.shop.lab.test 127.0.53.10: accepts (220")'
d_eval 'd["rcpt"]["outcome"] == "rejected" and d["rcpt"]["stage"] == "rcpt"
  and d["rcpt"]["mail_from"] == "" and d["rcpt"]["tls"] is True'
# the null sender, RSET and QUIT; never DATA
d_eval '"C: MAIL FROM:<>" in d["rcpt"]["transcript"] and "C: RSET" in d["rcpt"]["transcript"]
  and "DATA" not in d["rcpt"]["transcript"]'
d_eval 'd["path"]["conclusion"] == "primary" and d["path"]["hops"][0]["state"] == "accepts"'
d_eval 'd["send"] is None and d["network"]["needed"] is False'

# known users and postmaster (RFC 5321 4.5.1) pass, written any way
for a in info@shop.lab.test POSTMASTER@shop.lab.test 'sales@ｓｈｏｐ．lab.test'; do
  run rcpt-unknown-user --rcpt "$a"
  finding_eval rcpt.accepted 'f["severity"] == "pass" and p["code"] == "250"'
done

# an address in another domain is never asked about (no relaying)
run rcpt-unknown-user --rcpt someone@example.org
finding_eval rcpt.skipped 'f["severity"] == "skip" and p["reason"] == "other_domain"'
json_eval '"rcpt.rejected" not in ids and "rcpt.accepted" not in ids'

# ---- greylisting: a temporary refusal --------------------------------------------------
run greylisting --rcpt info@grey.lab.test
[ "$RC" -eq 1 ] || fail "greylisting: a temporary refusal warns: exit $RC"
finding_eval rcpt.tempfail 'f["severity"] == "warn" and p["code"] == "450" and p["enhanced"] == "4.7.1"
  and "Greylisted" in p["text"]'

# ---- the test message ------------------------------------------------------------------
scn send send.lab.test <<'EOF'
[zone lab.test]
send.lab.test.      300 IN MX 10 mx.send.lab.test.
mx.send.lab.test.   300 IN A  127.0.53.10
refuse.lab.test.    300 IN MX 10 mx.refuse.lab.test.
mx.refuse.lab.test. 300 IN A  127.0.53.20

[smtp 127.0.53.10]
name: mx.send.lab.test
data: accept

[smtp 127.0.53.20]
name: mx.refuse.lab.test
EOF
run "$TMPD/send.scn" --send-test me@sender.example info@send.lab.test
finding_eval send.accepted 'f["severity"] == "pass" and p["code"] == "250" and "queued as LAB" in p["text"]
  and len(p["id"]) == 16 and p["from"] == "me@sender.example" and p["to"] == "info@send.lab.test"'
d_eval 'd["send"]["outcome"] == "accepted" and d["send"]["stage"] == "message"
  and d["send"]["eightbit"] is True and d["send"]["id"] in d["send"]["transcript"]
  and "C: DATA" in d["send"]["transcript"] and d["rcpt"] is None'
# both: the recipient check runs first, then the message, on the same server
run "$TMPD/send.scn" --rcpt postmaster@send.lab.test --send-test me@sender.example info@send.lab.test
json_eval '"rcpt.accepted" in ids and "send.accepted" in ids'
d_eval 'd["rcpt"]["address"] == d["send"]["address"] == "127.0.53.10"'

# the default lab server refuses DATA
sed 's/^id: t-send$/id: t-refuse/; s/^domain: send.lab.test$/domain: refuse.lab.test/' \
  "$TMPD/send.scn" >"$TMPD/refuse.scn"
run "$TMPD/refuse.scn" --send-test me@sender.example info@refuse.lab.test
[ "$RC" -eq 2 ] || fail "a refused test message is a failure: exit $RC"
finding_eval send.rejected 'f["severity"] == "fail" and p["stage"] == "data" and p["code"] == "554"'
# never to another domain's server
run "$TMPD/refuse.scn" --send-test me@sender.example info@send.lab.test
finding_eval send.skipped 'p["reason"] == "other_domain"'

# ---- the network: every MX refuses; a probe host -------------------------------------------
scn down down.lab.test <<'EOF'
[zone lab.test]
down.lab.test.      300 IN MX 10 mx1.down.lab.test.
down.lab.test.      300 IN MX 20 mx2.down.lab.test.
mx1.down.lab.test.  300 IN A  127.0.53.10
mx2.down.lab.test.  300 IN A  127.0.53.20
relay.lab.test.     300 IN A  127.0.53.30

[smtp 127.0.53.10]
name: mx1.down.lab.test
behaviour: refuse

[smtp 127.0.53.20]
name: mx2.down.lab.test
behaviour: refuse

[smtp 127.0.53.30]
name: relay.lab.test
EOF
run "$TMPD/down.scn" --rcpt postmaster@down.lab.test
[ "$RC" -eq 2 ] || fail "down: exit $RC"
finding_eval network.servers_down 'f["severity"] == "info" and p["basis"] == "refused" and p["count"] == "2"'
finding_eval delivery.path_fails 'f["severity"] == "fail" and p["count"] == "2"'
finding_eval rcpt.skipped 'p["reason"] == "no_working_mx"'
d_eval 'd["network"]["needed"] and [c["state"] for c in d["network"]["submission"]] == ["refused"] * 2'

# filtered servers and a probe host that answers: the servers, not this network
sed 's/^behaviour: refuse$/behaviour: filtered/' "$TMPD/down.scn" >"$TMPD/filtered.scn"
run "$TMPD/filtered.scn" --probe-host relay.lab.test
finding_eval network.servers_down 'p["basis"] == "probe_host" and p["probe"] == "relay.lab.test"'
finding_eval delivery.path_fails 'True'
d_eval 'd["network"]["probe_lookup"] == "ok" and d["network"]["probe"][0]["state"] == "connected"
  and d["network"]["probe"][0]["address"] == "127.0.53.30"'

# ... and a probe host that does not answer either: this network
run "$TMPD/filtered.scn" --probe-host 127.0.53.40
finding_eval network.port25_blocked 'f["severity"] == "warn" and p["evidence"] == "probe_host"
  and p["probe"] == "127.0.53.40"'
finding_eval delivery.path_untested 'p["reason"] == "port25"'
# a probe host outside the lab is never contacted
run "$TMPD/filtered.scn" --probe-host 192.0.2.25
finding_eval network.undetermined 'p["ports"] != "-"'
d_eval 'd["network"]["probe"][0]["state"] == "skipped"'

# ---- the wait is bounded: filtered servers and a probe host cost a few timeouts ----------
t0=$(date +%s)
run "$TMPD/filtered.scn" --timeout 1 --probe-host 127.0.53.40 --rcpt postmaster@down.lab.test
t1=$(date +%s)
[ $((t1 - t0)) -le 30 ] || fail "filtered run took $((t1 - t0)) s"

# ---- the command line ------------------------------------------------------------------------
"$MXD_BIN" --report --rcpt 'a@b.lab.test>' >/dev/null 2>&1; rc=$?
[ "$rc" -eq 64 ] || fail "--rcpt with a bad address: exit $rc"
"$MXD_BIN" --report --send-test me@sender.example >/dev/null 2>&1; rc=$?
[ "$rc" -eq 64 ] || fail "--send-test with one address: exit $rc"
"$MXD_BIN" --report --probe-host '' example.org >/dev/null 2>&1; rc=$?
[ "$rc" -eq 64 ] || fail "--probe-host empty: exit $rc"
"$MXD_BIN" --help | grep -q -- '--send-test FROM TO' || fail "--help does not list --send-test"

# --rcpt alone names the domain (against the lab served on its own)
start_lab rcpt-unknown-user
report_json --rcpt tanaka@shop.lab.test
[ "$RC" -eq 2 ] || fail "--rcpt without a domain: exit $RC: $(cat "$TMPD/report.err")"
json_eval 'j["domain_ascii"] == "shop.lab.test" and "rcpt.rejected" in ids'
echo "ok"
