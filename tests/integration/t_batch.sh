#!/bin/sh
# --batch: many domains on one loop, JSON Lines in input order, bad lines
# reported and skipped, the worst exit status, and SIGINT midway writing every
# report that had finished. Against a --lab-serve of a scenario made here.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 is needed to read JSON"

# ---- the batch command --------------------------------------------------------
BATCH=${MXD_BATCH_BIN:-$MXD_BIN}
"$BATCH" --help 2>/dev/null | grep -q -- '--batch' || fail "$BATCH --help does not list --batch"
export MXDOCTOR_HELP="${MXDOCTOR_HELP:-$(pwd)/help}"

# ---- the lab ------------------------------------------------------------------
cat >"$TMPD/batch.scn" <<'EOF'
id: batch-test
domain: ok1.t.lab.test
title.en: Batch test domains
title.ja: 一括診断のテスト

[zone lab.test]
ok1.t.lab.test.    300 IN MX 10 mx-ok.t.lab.test.
ok2.t.lab.test.    300 IN MX 10 mx-ok.t.lab.test.
ok3.t.lab.test.    300 IN MX 10 mx-ok.t.lab.test.
ok4.t.lab.test.    300 IN MX 10 mx-ok.t.lab.test.
ok5.t.lab.test.    300 IN MX 10 mx-ok.t.lab.test.
slow.t.lab.test.   300 IN MX 10 mx-slow.t.lab.test.
stuck.t.lab.test.  300 IN MX 10 mx-stuck.t.lab.test.
down.t.lab.test.   300 IN MX 10 mx-down.t.lab.test.
mx-ok.t.lab.test.    300 IN A 127.0.58.1
mx-slow.t.lab.test.  300 IN A 127.0.58.2
mx-stuck.t.lab.test. 300 IN A 127.0.58.3
mx-down.t.lab.test.  300 IN A 127.0.58.4

[smtp 127.0.58.1]
name: mx-ok.t.lab.test

[smtp 127.0.58.2]
name: mx-slow.t.lab.test
delay: 250

[smtp 127.0.58.3]
name: mx-stuck.t.lab.test
delay: 60000

[smtp 127.0.58.4]
name: mx-down.t.lab.test
behaviour: refuse
EOF
# lib.sh's start_lab names its files after a built-in id; this one is a path.
"$MXD_BIN" --lab-serve "$TMPD/batch.scn" >"$TMPD/lab.out" 2>"$TMPD/lab.err" &
LAB_PIDS="$LAB_PIDS $!"
i=0
while ! grep -q '^ready ' "$TMPD/lab.out" 2>/dev/null; do
  kill -0 $! 2>/dev/null || fail "lab died: $(cat "$TMPD/lab.err")"
  i=$((i + 1)); [ $i -gt 500 ] && fail "lab not ready after 10 s"
  sleep 0.02
done
ready=$(grep '^ready ' "$TMPD/lab.out")
LAB_RESOLVER=$(printf '%s' "$ready" | sed -n 's/.* resolver=\([^ ]*\).*/\1/p')
LAB_DNS_PORT=$(printf '%s' "$ready" | sed -n 's/.* dns_port=\([^ ]*\).*/\1/p')
LAB_SMTP_PORT=$(printf '%s' "$ready" | sed -n 's/.* smtp_port=\([^ ]*\).*/\1/p')
LAB_CA=$(printf '%s' "$ready" | sed -n 's/.* ca=\([^ ]*\).*/\1/p')

run_batch() { # run_batch INPUT OUTPUT [args]: sets RC
  in=$1; outf=$2; shift 2
  "$BATCH" --batch "$in" --resolver "$LAB_RESOLVER" --smtp-port "$LAB_SMTP_PORT" --dns-port "$LAB_DNS_PORT" \
    --allow-private --loopback-only --ca-file "$LAB_CA" --timeout 2 "$@" \
    >"$outf" 2>"$TMPD/batch.err"
  RC=$?
}

# ---- 1: a mixed list from stdin ------------------------------------------------
long=$(python3 -c 'print("a" * 5000 + ".lab.test")')
{
  echo "# helpdesk list, Monday"
  echo "slow.t.lab.test"          # line 2: finishes last, must still come first
  echo "ok1.t.lab.test"
  echo ""
  echo "exa mple.lab.test"        # line 5: bad character
  printf '  OK2.t.lab.test  \r\n'  # line 6: spaces, upper case, CRLF
  echo "user@ok3.t.lab.test"      # line 7: an e-mail address is fine
  echo "192.0.2.1"                # line 8: an IP address is not a domain
  echo "   # indented comment"
  echo "down.t.lab.test"          # line 10: a failure (exit 2)
  echo "$long"                    # line 11: too long
  echo "ok4.t.lab.test"
  echo "https://ok5.t.lab.test/x" # line 13
  echo "user@"                    # line 14
  echo "ok1.t.lab.test"           # line 15: the same domain twice is two reports
  echo "nope.t.lab.test"          # line 16: NXDOMAIN
  for i in 1 2 3 4; do echo "ok$i.t.lab.test"; done   # lines 17-20
  printf 'ok5.t.lab.test'         # line 21: no final line break
} >"$TMPD/list.txt"
run_batch - "$TMPD/out1.jsonl" --jobs 4 <"$TMPD/list.txt"
[ "$RC" -eq 2 ] || fail "mixed list: exit $RC, expected 2 (the worst verdict: down.t.lab.test); $(cat "$TMPD/batch.err")"
# No progress line when stderr is not a terminal.
if grep -q 'running' "$TMPD/batch.err"; then fail "progress on a non-terminal: $(cat "$TMPD/batch.err")"; fi

# Each report line must be the same object --report --format json prints, plus "line".
for d in slow.t.lab.test down.t.lab.test nope.t.lab.test; do
  report_json "$d"
  cp "$TMPD/report.json" "$TMPD/single-$d.json"
done
python3 - "$TMPD/out1.jsonl" "$TMPD" <<'PY' || fail "mixed list: see above"
import json, sys
path, tmpd = sys.argv[1], sys.argv[2]
raw = open(path, encoding="utf-8").read()
lines = raw.split("\n")
assert lines[-1] == "", "output must end with a line break"
objs = []
for i, l in enumerate(lines[:-1]):
    assert l and "\n" not in l, f"line {i}: not one JSON object per line"
    objs.append(json.loads(l))
got = [o["line"] for o in objs]
want = [2, 3, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]
assert got == want, f"line numbers {got} != {want}"
by = {o["line"]: o for o in objs}
errors = {5: "msg.input.bad_char", 8: "msg.input.ip_address", 11: "msg.input.too_long",
          14: "msg.input.no_domain"}
for n, key in errors.items():
    o = by[n]
    assert o["error"] == key, f"line {n}: {o}"
    assert o["exit_status"] == 64, f"line {n}: {o}"
    assert "verdict" not in o
    assert o.get("message"), f"line {n}: no message from the catalog: {o}"
assert len(by[11]["input"].encode()) <= 210, "a long bad line must not be echoed whole"
assert by[5]["input"] == "exa mple.lab.test"
domains = {2: "slow.t.lab.test", 3: "ok1.t.lab.test", 6: "ok2.t.lab.test", 7: "ok3.t.lab.test",
           10: "down.t.lab.test", 12: "ok4.t.lab.test", 13: "ok5.t.lab.test",
           15: "ok1.t.lab.test", 16: "nope.t.lab.test", 21: "ok5.t.lab.test"}
for n, d in domains.items():
    o = by[n]
    assert o["domain_ascii"] == d, f"line {n}: {o['domain_ascii']} != {d}"
    assert o["tool"] == "mxdoctor" and "steps" in o and "mx" in o, f"line {n}"
    assert list(o)[0] == "line", "the line number comes first"
assert by[7]["input"] == "user@ok3.t.lab.test"
# Healthy mail servers: the verdict may carry warnings from the policy step
# (no SPF or DMARC in this small zone), never a failure.
assert by[2]["exit_status"] in (0, 1), by[2]["verdict"]
assert by[10]["exit_status"] == 2, by[10]["exit_status"]
assert by[16]["exit_status"] >= 2, by[16]
ids = lambda o: sorted((s["id"], f["id"]) for s in o["steps"] for f in s["findings"])
for n, d in ((2, "slow.t.lab.test"), (10, "down.t.lab.test"), (16, "nope.t.lab.test")):
    single = json.load(open(f"{tmpd}/single-{d}.json", encoding="utf-8"))
    o = dict(by[n]); del o["line"]
    assert list(o) == list(single), f"line {n}: keys {list(o)} != {list(single)}"
    for k in ("verdict", "exit_status", "domain", "domain_ascii"):
        assert o[k] == single[k], f"line {n}: {k} {o[k]} != {single[k]}"
    assert ids(o) == ids(single), f"line {n}: findings differ from --report"
PY

# ---- 2: exit statuses ----------------------------------------------------------
printf 'ok1.t.lab.test\nok2.t.lab.test\n' >"$TMPD/good.txt"
run_batch "$TMPD/good.txt" "$TMPD/out2.jsonl" --jobs 2
good_rc=$RC
report_json ok1.t.lab.test
[ "$good_rc" -eq "$RC" ] || fail "two healthy domains: exit $good_rc, --report says $RC"
[ "$(wc -l <"$TMPD/out2.jsonl")" -eq 2 ] || fail "two domains, $(wc -l <"$TMPD/out2.jsonl") lines"

printf '# only mistakes\nnot_a domain\n\n1.2.3.4\n' >"$TMPD/bad.txt"
run_batch "$TMPD/bad.txt" "$TMPD/out3.jsonl"
[ "$RC" -eq 64 ] || fail "every line bad: exit $RC, expected 64"
[ "$(wc -l <"$TMPD/out3.jsonl")" -eq 2 ] || fail "every line bad: $(cat "$TMPD/out3.jsonl")"

printf '# nothing to do\n\n' >"$TMPD/empty.txt"
run_batch "$TMPD/empty.txt" "$TMPD/out4.jsonl"
[ "$RC" -eq 0 ] || fail "no domain at all: exit $RC, expected 0"
[ ! -s "$TMPD/out4.jsonl" ] || fail "no domain at all, yet: $(cat "$TMPD/out4.jsonl")"

run_batch "$TMPD/does-not-exist.txt" "$TMPD/out5.jsonl"
[ "$RC" -eq 64 ] || fail "missing batch file: exit $RC, expected 64"


# ---- 3: SIGINT midway ---------------------------------------------------------
# Line 1 (slow.*) needs five replies of 250 ms each; lines 3 and 5 need none, so
# they finish about a second before line 1 and wait, buffered, behind the stuck
# lines 2 and 4 (60 s per reply). Once line 1 is written, lines 3 and 5 are
# finished too: the signal must not lose them.
printf 'slow.t.lab.test\nstuck.t.lab.test\nok2.t.lab.test\nstuck.t.lab.test\nok3.t.lab.test\n' \
  >"$TMPD/int.txt"
"$BATCH" --batch "$TMPD/int.txt" --resolver "$LAB_RESOLVER" --smtp-port "$LAB_SMTP_PORT" --dns-port "$LAB_DNS_PORT" \
  --allow-private --loopback-only --ca-file "$LAB_CA" --timeout 90 --jobs 8 \
  >"$TMPD/int.jsonl" 2>"$TMPD/int.err" &
bpid=$!
i=0
while ! grep -q '"line":1,' "$TMPD/int.jsonl" 2>/dev/null; do
  kill -0 "$bpid" 2>/dev/null || fail "batch ended before SIGINT: $(cat "$TMPD/int.err")"
  i=$((i + 1)); [ $i -gt 1000 ] && fail "line 1 never appeared"
  sleep 0.02
done
[ "$(wc -l <"$TMPD/int.jsonl")" -eq 1 ] || fail "lines after a running one were not held back"
kill -INT "$bpid"
wait "$bpid"; rc=$?
[ "$rc" -eq 130 ] || fail "SIGINT: exit $rc, expected 130; $(cat "$TMPD/int.err")"
python3 - "$TMPD/int.jsonl" <<'PY' || fail "SIGINT output: $(cat "$TMPD/int.jsonl" | cut -c1-200)"
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
got = [o["line"] for o in objs]
assert got == [1, 2, 3, 4, 5], f"every started line is accounted for, in order: {got}"
by = {o["line"]: o for o in objs}
for n in (1, 3, 5):
    assert "verdict" in by[n], f"line {n} had finished and must be written whole: {by[n]}"
    assert by[n]["exit_status"] in (0, 1), by[n]["verdict"]
for n in (2, 4):
    assert by[n]["error"] == "msg.batch.interrupted" and by[n]["exit_status"] == 130, by[n]
PY
# With one job, lines read but not started are accounted for as interrupted,
# and a bad line after them (finished at once) is still written.
printf 'ok1.t.lab.test\nstuck.t.lab.test\nok2.t.lab.test\nnot_a domain\n' >"$TMPD/int2.txt"
"$BATCH" --batch "$TMPD/int2.txt" --resolver "$LAB_RESOLVER" --smtp-port "$LAB_SMTP_PORT" --dns-port "$LAB_DNS_PORT" \
  --allow-private --loopback-only --ca-file "$LAB_CA" --timeout 90 --jobs 1 \
  >"$TMPD/int2.jsonl" 2>"$TMPD/int2.err" &
bpid=$!
i=0
while ! grep -q '"line":1,' "$TMPD/int2.jsonl" 2>/dev/null; do
  kill -0 "$bpid" 2>/dev/null || fail "batch ended before SIGTERM: $(cat "$TMPD/int2.err")"
  i=$((i + 1)); [ $i -gt 1000 ] && fail "line 1 never appeared"
  sleep 0.02
done
kill -TERM "$bpid"
wait "$bpid"; rc=$?
[ "$rc" -eq 143 ] || fail "SIGTERM: exit $rc, expected 143"
python3 - "$TMPD/int2.jsonl" <<'PY' || fail "SIGTERM output: $(cut -c1-200 "$TMPD/int2.jsonl")"
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert [o["line"] for o in objs] == [1, 2, 3, 4], [o["line"] for o in objs]
assert objs[0]["exit_status"] in (0, 1), objs[0]
for o in objs[1:3]:
    assert o["error"] == "msg.batch.interrupted" and o["exit_status"] == 143, o
assert objs[3]["error"] == "msg.input.bad_char", objs[3]
PY
echo "batch: ok"
