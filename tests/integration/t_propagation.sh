#!/bin/sh
# t_propagation.sh — step "propagation" end to end (issue 5): the real binary
# against practice-lab scenarios served with --lab-serve, one case per finding id,
# asserting the JSON "propagation" data behind each finding (servers, AA flags,
# serials, resolvers, remaining TTLs, expiry times) and the local-time expiry in
# the text report. Skips until the engine runs the step (no "propagation" key).
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null 2>&1 || skip "python3 is needed to read the JSON"
for s in healthy auth-mismatch serial-behind lame-delegation auth-silent stale-cache negative-cache; do
  [ -f "help/scenarios/"*"-$s.scn" ] || skip "scenario $s is missing"
done

# The finding f (first with this id) as a dict: j, ids, prop and find() are
# available to the expressions.
prop_eval() {
  python3 - "$TMPD/report.json" "$1" <<'PY' || fail "json: $1 ($(head -c 400 "$TMPD/report.json"))"
import json, sys
j = json.load(open(sys.argv[1], encoding="utf-8"))
ids = sorted({f["id"] for s in j["steps"] for f in s["findings"]})
prop = j.get("propagation") or {}
def find(i):
    for s in j["steps"]:
        for f in s["findings"]:
            if f["id"] == i:
                return f
    return None
def secs(t):
    import datetime
    return datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
}

lab() { # lab SCENARIO [report args]: serve it, diagnose its domain
  scn=$1; shift
  start_lab "$scn"
  report_json "$LAB_DOMAIN" "$@"
}

# ---- healthy: auth.consistent, cache.ttl
lab healthy
python3 -c 'import json,sys; sys.exit(0 if "propagation" in json.load(open(sys.argv[1])) else 1)' \
  "$TMPD/report.json" || skip "the engine does not run the propagation step yet"
prop_eval 'ids.count("auth.consistent") == 1 and "cache.ttl" in ids'
prop_eval 'prop["zone"] == "lab.test" and prop["zone_state"] == "found"'
prop_eval 'all(s["state"] == "ok" and s["aa"] for s in prop["servers"]) and len(prop["servers"]) >= 1'
prop_eval 'find("cache.ttl")["params"]["ttl"] == "3600" and find("cache.ttl")["params"]["duration"] == "1h"'
prop_eval 'prop["resolvers"][0]["server"] == "'"$LAB_RESOLVER"'" and 3590 <= prop["resolvers"][0]["ttl"] <= 3600'
prop_eval '[m["host"] for m in prop["resolvers"][0]["mx"]] == ["mx1.healthy.lab.test", "mx2.healthy.lab.test"]'
echo "ok healthy: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["propagation"]["elapsed_ms"])' "$TMPD/report.json") ms in the step"

# ---- --compare-resolvers: names, and bad values
"$MXD_BIN" --report --compare-resolvers 'google,not a resolver' example.jp >/dev/null 2>"$TMPD/bad.err"
[ $? -eq 64 ] || fail "a bad --compare-resolvers value must exit 64"
report_json "$LAB_DOMAIN" --compare-resolvers google,cloudflare
prop_eval '[(r["label"], r["skipped"]) for r in prop["resolvers"][1:]] == [("google", True), ("cloudflare", True)]'
echo "ok --compare-resolvers (public resolvers named, not asked from the lab)"

# ---- auth-mismatch: auth.mismatch (+ serial_mismatch)
lab auth-mismatch
prop_eval '"auth.mismatch" in ids and "auth.serial_mismatch" in ids and "auth.consistent" not in ids'
prop_eval 'find("auth.mismatch")["severity"] == "fail"'
prop_eval 'sorted(s["mx"][0]["host"] for s in prop["servers"]) == ["mx.newmail.lab.test", "mx.oldmail.lab.test"]'
prop_eval 'find("auth.serial_mismatch")["params"]["newest"] == "ns1.lab.test (127.0.54.1)"'
echo "ok auth-mismatch"

# ---- serial-behind: auth.serial_mismatch alone
lab serial-behind
prop_eval '"auth.serial_mismatch" in ids and "auth.mismatch" not in ids'
prop_eval 'sorted(s["serial"] for s in prop["servers"]) == [2026112701, 2026112702]'
prop_eval 'find("auth.serial_mismatch")["params"]["serial"] == "2026112702"'
echo "ok serial-behind"

# ---- lame-delegation: auth.lame
lab lame-delegation
prop_eval '"auth.lame" in ids and find("auth.lame")["severity"] == "warn"'
prop_eval '[s["state"] for s in prop["servers"]] == ["ok", "lame"] and prop["servers"][1]["reason"] == "REFUSED"'
prop_eval 'prop["servers"][1]["aa"] is False'
echo "ok lame-delegation"

# ---- auth-silent: auth.unreachable, one timeout
lab auth-silent
prop_eval '"auth.unreachable" in ids and find("auth.unreachable")["params"]["reason"] == "timeout"'
prop_eval '[s["state"] for s in prop["servers"]] == ["ok", "timeout"]'
prop_eval '2000 <= prop["elapsed_ms"] < 4000'
echo "ok auth-silent: step took $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["propagation"]["elapsed_ms"])' "$TMPD/report.json") ms (--timeout 2)"

# ---- stale-cache: cache.stale with its countdown, local time in the text
lab stale-cache
prop_eval '"cache.stale" in ids'
prop_eval 'prop["resolvers"][0]["mx"][0]["host"] == "mx.old.relocate.lab.test"'
prop_eval '86300 <= prop["resolvers"][0]["ttl"] <= 86400'
prop_eval 'secs(prop["resolvers"][0]["expires_at"]) - secs(prop["resolvers"][0]["answered_at"]) == prop["resolvers"][0]["ttl"]'
prop_eval 'find("cache.stale")["params"]["auth_hosts"] == "10 mx.new.relocate.lab.test"'
prop_eval 'find("cache.ttl")["params"]["ttl"] == "300"'
TZ=Asia/Tokyo "$MXD_BIN" --report --lang en --resolver "$LAB_RESOLVER" --smtp-port "$LAB_SMTP_PORT" \
  --dns-port "$LAB_DNS_PORT" --allow-private --loopback-only --timeout 2 \
  ${LAB_CA:+--ca-file "$LAB_CA"} "$LAB_DOMAIN" >"$TMPD/stale.txt" 2>&1
grep -q 'expires at 20[0-9-]* [0-9:]* JST' "$TMPD/stale.txt" || fail "no local expiry time (JST) in the text report: $(grep -i expire "$TMPD/stale.txt" | head -3)"
echo "ok stale-cache: $(grep -o 'expires at 20[0-9-]* [0-9:]* JST' "$TMPD/stale.txt" | head -1)"

# ---- resolver.disagree: no authoritative answer (a closed port), two resolvers
# that differ: the lab's resolver (old copy) and a server of the zone asked as if
# it were a resolver (current copy). The stale-cache lab above is still running.
closed=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.54.77", 0)); print(s.getsockname()[1]); s.close()')
"$MXD_BIN" --report --format json --resolver "$LAB_RESOLVER" --dns-port "$closed" \
  --compare-resolvers "127.0.54.1:$LAB_DNS_PORT" --no-smtp --loopback-only --timeout 2 \
  "$LAB_DOMAIN" >"$TMPD/report.json" 2>"$TMPD/report.err"
prop_eval '"resolver.disagree" in ids and "auth.unreachable" in ids and "cache.stale" not in ids'
prop_eval 'find("resolver.disagree")["params"]["count"] == "2"'
prop_eval '[r["compare"] for r in prop["resolvers"]] == [False, True]'
echo "ok resolver.disagree"

# ---- negative-cache: cache.negative with RFC 2308 numbers
lab negative-cache
prop_eval '"cache.negative" in ids and "mx.none_no_address" in ids'
p='find("cache.negative")["params"]'
prop_eval "$p[\"neg_ttl\"] == \"1800\" and $p[\"soa_minimum\"] == \"1800\" and $p[\"soa_ttl\"] == \"3600\""
prop_eval 'prop["resolvers"][0]["mx_state"] == "nodata" and 1790 <= prop["resolvers"][0]["ttl"] <= 1800'
echo "ok negative-cache"
