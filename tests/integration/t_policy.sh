#!/bin/sh
# t_policy.sh — step "policy" end to end: the real binary against lab scenarios
# written here, one case per finding id that the built-in scenarios do not show
# (dmarc.policy_none, dmarc.multiple, dmarc.rua_unauthorized, dkim.revoked,
# dkim.invalid, DMARC inherited from the organisational domain, --dkim-selector),
# and the JSON "policy" data behind them. The built-in scenarios (t_scenarios.sh)
# cover the rest. Skips until the engine runs the step (no "policy" key).
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null 2>&1 || skip "python3 is needed to read the JSON"
command -v openssl >/dev/null 2>&1 || skip "openssl is needed to make a DKIM key"

# A real 2048-bit public key, as DNS hosts publish it (base64 of the DER).
KEY=$(openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 2>/dev/null |
      openssl pkey -pubout -outform DER 2>/dev/null | base64 | tr -d '\n')
[ ${#KEY} -gt 300 ] || skip "openssl could not make a key"
K1=$(printf '%s' "$KEY" | cut -c1-200)
K2=$(printf '%s' "$KEY" | cut -c201-)

# scn NAME DOMAIN: writes $TMPD/NAME.scn, a working domain (MX, SPF, PTR, a
# server that answers) plus the zone lines read from stdin; extra zones may
# follow them as [zone ...] sections.
scn() {
  f="$TMPD/$1.scn"
  cat >"$f" <<EOF
id: t-$1
domain: $2
title.en: test fixture
title.ja: テスト用
expect: mx.found

[zone lab.test]
$2.          300 IN MX  10 mx.$2.
$2.          300 IN TXT "v=spf1 mx -all"
mx.$2.       300 IN A   127.0.53.10
EOF
  cat >>"$f"
  cat >>"$f" <<EOF

[zone 53.0.127.in-addr.arpa]
10 300 IN PTR mx.$2.

[smtp 127.0.53.10]
name: mx.$2
EOF
}

run() { # run NAME [options]: the diagnosis as JSON into $TMPD/report.json, RC
  f="$TMPD/$1.scn"; shift
  "$MXD_BIN" --lab "$f" --report --format json --timeout 2 "$@" >"$TMPD/report.json" \
    2>"$TMPD/report.err"
  RC=$?
}

# finding_eval ID EXPR: EXPR over f, the first finding with this id (params p).
finding_eval() {
  python3 - "$TMPD/report.json" "$1" "$2" <<'PY' || fail "finding $1: $2 ($(head -c 600 "$TMPD/report.json"))"
import json, sys
j = json.load(open(sys.argv[1], encoding="utf-8"))
fs = [f for s in j["steps"] if s["id"] == "policy" for f in s["findings"] if f["id"] == sys.argv[2]]
if not fs:
    sys.exit(1)
f = fs[0]
p = f["params"]
sys.exit(0 if eval(sys.argv[3]) else 1)
PY
}

# ---- DMARC monitoring only; DKIM revoked and broken keys; the JSON data ----
scn monitor monitor.lab.test <<EOF
_dmarc.monitor.lab.test.            300 IN TXT "v=DMARC1; p=none; rua=mailto:d@monitor.lab.test"
s1._domainkey.monitor.lab.test.     300 IN TXT "v=DKIM1; p="
k1._domainkey.monitor.lab.test.     300 IN TXT "v=DKIM1; p=QUJD"
EOF
run monitor
[ "$RC" -le 2 ] || fail "monitor: exit $RC: $(cat "$TMPD/report.err")"
python3 -c 'import json, sys; sys.exit("policy" not in json.load(open(sys.argv[1])))' \
  "$TMPD/report.json" || skip "the engine does not run the policy step yet"
json_eval '[s["id"] for s in j["steps"]].count("policy") == 1'
json_eval '"dmarc.policy_none" in ids and "dmarc.ok" not in ids and "dmarc.missing" not in ids'
finding_eval dmarc.policy_none 'f["severity"] == "info" and p["name"] == "_dmarc.monitor.lab.test"'
finding_eval dkim.revoked 'f["severity"] == "info" and p["selector"] == "s1"'
finding_eval dkim.invalid 'f["severity"] == "warn" and p["selector"] == "k1" and p["error"] == "key"'
json_eval '"dkim.not_found" not in ids and "dkim.found" not in ids'
finding_eval ptr.ok 'p["address"] == "127.0.53.10" and p["ptr"] == "mx.monitor.lab.test"'
json_eval 'j["policy"]["finished"] is True and j["policy"]["dmarc"]["org_domain"] == "lab.test"'
json_eval 'j["policy"]["ptr"][0]["forward_confirmed"] is True'
json_eval '[d["selector"] for d in j["policy"]["dkim"] if d["keys"]] == ["k1", "s1"]'
json_eval 'not any(d["named"] for d in j["policy"]["dkim"])'

# ---- two DMARC records: receivers ignore both ----
scn twodmarc twodmarc.lab.test <<EOF
_dmarc.twodmarc.lab.test.           300 IN TXT "v=DMARC1; p=reject"
_dmarc.twodmarc.lab.test.           300 IN TXT "v=DMARC1; p=quarantine"
_dmarc.twodmarc.lab.test.           300 IN TXT "unrelated verification token"
EOF
run twodmarc
[ "$RC" = 2 ] || fail "two DMARC records should fail (exit 2), got $RC"
finding_eval dmarc.multiple 'f["severity"] == "fail" and p["count"] == "2" and "unrelated" not in p["records"]'
json_eval '"dmarc.ok" not in ids and j["policy"]["dmarc"]["records"] == 2'

# ---- reports to another organisation, which did not agree; a subdomain under
# ---- the organisational domain's record (sp= applies) ----
scn rua shop.rua.lab.test <<EOF
_dmarc.lab.test.                    300 IN TXT "v=DMARC1; p=reject; sp=quarantine; rua=mailto:agg@dmarc.report.test"

[zone report.test]
report.test.                        300 IN A   127.0.53.99
EOF
run rua
finding_eval dmarc.ok 'p["name"] == "_dmarc.lab.test" and p["policy"] == "quarantine"'
finding_eval dmarc.rua_unauthorized 'f["severity"] == "warn" and p["rua_domain"] == "dmarc.report.test" and p["name"] == "lab.test._report._dmarc.dmarc.report.test"'
json_eval 'j["policy"]["dmarc"]["policy_domain"] == "lab.test"'

# ... and once it agrees, nothing is said about it.
scn ruaok shop.ruaok.lab.test <<EOF
_dmarc.lab.test.                    300 IN TXT "v=DMARC1; p=reject; rua=mailto:agg@dmarc.report.test"

[zone report.test]
lab.test._report._dmarc.dmarc.report.test. 300 IN TXT "v=DMARC1"
EOF
run ruaok
json_eval '"dmarc.ok" in ids and "dmarc.rua_unauthorized" not in ids'

# ---- --dkim-selector: a named selector is looked up first; a named one that
# ---- has no key is worth a warning ----
scn named named.lab.test <<EOF
_dmarc.named.lab.test.              300 IN TXT "v=DMARC1; p=reject"
mysel._domainkey.named.lab.test.    300 IN TXT ( "v=DKIM1; k=rsa; p=$K1"
                                                 "$K2" )
EOF
run named --dkim-selector mysel --dkim-selector absent
finding_eval dkim.found 'p["selector"] == "mysel" and p["bits"] == "2048" and p["key_type"] == "rsa"'
finding_eval dkim.not_found 'f["severity"] == "warn" and p["selectors"] == "absent"'
json_eval '[d["selector"] for d in j["policy"]["dkim"]][:2] == ["mysel", "absent"]'
json_eval 'all(d["named"] == (d["selector"] in ("mysel", "absent")) for d in j["policy"]["dkim"])'
json_eval 'j["verdict"] == "warn"'
# Without the option the key is not found (no common selector has it).
run named
finding_eval dkim.not_found 'f["severity"] == "info"'

# A selector that cannot be a DNS label is bad usage.
"$MXD_BIN" --lab "$TMPD/named.scn" --report --dkim-selector 'a;b' >/dev/null 2>&1
[ $? = 64 ] || fail "--dkim-selector 'a;b' should be bad usage (64)"
exit 0
