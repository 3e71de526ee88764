# Shared helpers for the integration tests (sourced). Loopback only, always.
# Every wait is a poll with a deadline, never a fixed sleep.

: "${MXD_BIN:=./mxdoctor}"
TMPD=$(mktemp -d "${TMPDIR:-/tmp}/mxd-it.XXXXXX")
LAB_PIDS=""
cleanup() {
  for p in $LAB_PIDS; do kill "$p" 2>/dev/null; done
  for p in $LAB_PIDS; do wait "$p" 2>/dev/null; done
  rm -rf "$TMPD"
}
trap cleanup EXIT INT TERM

fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "$*"; exit 77; }

# start_lab SCENARIO [extra args]: serves the scenario with --lab-serve and sets
# LAB_RESOLVER, LAB_SMTP_PORT, LAB_DNS_PORT, LAB_DOMAIN once it says "ready".
start_lab() {
  scn=$1; shift
  tag=$(basename "$scn")
  out="$TMPD/lab-$tag.out"
  "$MXD_BIN" --lab-serve "$scn" "$@" >"$out" 2>"$TMPD/lab-$tag.err" &
  pid=$!
  LAB_PIDS="$LAB_PIDS $pid"
  i=0
  while ! grep -q '^ready ' "$out" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || fail "lab $scn died: $(cat "$TMPD/lab-$tag.err")"
    i=$((i + 1)); [ $i -gt 500 ] && fail "lab $scn not ready after 10 s"
    sleep 0.02
  done
  line=$(grep '^ready ' "$out")
  LAB_DOMAIN=$(printf '%s' "$line" | sed -n 's/.* domain=\([^ ]*\).*/\1/p')
  LAB_RESOLVER=$(printf '%s' "$line" | sed -n 's/.* resolver=\([^ ]*\).*/\1/p')
  LAB_DNS_PORT=$(printf '%s' "$line" | sed -n 's/.* dns_port=\([^ ]*\).*/\1/p')
  LAB_SMTP_PORT=$(printf '%s' "$line" | sed -n 's/.* smtp_port=\([^ ]*\).*/\1/p')
  LAB_CA=$(printf '%s' "$line" | sed -n 's/.* ca=\([^ ]*\).*/\1/p')
}

# report_json SCENARIO-DOMAIN [args]: mxdoctor against the running lab, JSON out;
# sets RC to its exit status and writes $TMPD/report.json.
report_json() {
  "$MXD_BIN" --report --format json --resolver "$LAB_RESOLVER" --smtp-port "$LAB_SMTP_PORT" \
    --dns-port "$LAB_DNS_PORT" --allow-private --loopback-only --timeout 2 \
    ${LAB_CA:+--ca-file "$LAB_CA"} "$@" \
    >"$TMPD/report.json" 2>"$TMPD/report.err"
  RC=$?
}

# json_eval EXPR: evaluates a Python expression over the parsed report `j`; fails when false.
json_eval() {
  python3 - "$TMPD/report.json" "$1" <<'PY' || fail "json: $1 ($(head -c 300 "$TMPD/report.json"))"
import json, sys
j = json.load(open(sys.argv[1], encoding="utf-8"))
ids = sorted({f["id"] for s in j["steps"] for f in s["findings"]})
ok = eval(sys.argv[2])
sys.exit(0 if ok else 1)
PY
}
