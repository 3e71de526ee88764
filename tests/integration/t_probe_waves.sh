#!/bin/sh
# A domain with more MX addresses than one diagnosis opens at once (64) gets its
# SMTP probes in waves: never more than 64 connections at the same moment, yet
# every address is probed, and the run's time bound grows with the waves so the
# last wave is not cut off. 100 MX hosts whose servers accept and never greet,
# --timeout 1: two waves, about two seconds.
. "$(dirname "$0")/lib.sh"
command -v ss >/dev/null 2>&1 || skip "ss (iproute2) is not installed"
N=100
{
  cat <<'HEAD'
id: many-silent
level: advanced
domain: crowd.lab.test
title.en: test fixture
title.ja: テスト用
question.en: test fixture
question.ja: テスト用
hint.en: test fixture
hint.ja: テスト用
answer.en: test fixture
answer.ja: テスト用

[zone lab.test]
HEAD
  i=1
  while [ $i -le $N ]; do
    echo "crowd.lab.test. 300 IN MX $i mx$i.crowd.lab.test."
    echo "mx$i.crowd.lab.test. 300 IN A 127.0.58.$i"
    i=$((i + 1))
  done
  i=1
  while [ $i -le $N ]; do
    printf '\n[smtp 127.0.58.%s]\nname: mx%s.crowd.lab.test\nbehaviour: blackhole\n' $i $i
    i=$((i + 1))
  done
} >"$TMPD/crowd.scn"
start_lab "$TMPD/crowd.scn"
"$MXD_BIN" --report --format json --resolver "$LAB_RESOLVER" --smtp-port "$LAB_SMTP_PORT" \
  --dns-port "$LAB_DNS_PORT" --allow-private --loopback-only --timeout 1 \
  crowd.lab.test >"$TMPD/report.json" 2>"$TMPD/report.err" &
pid=$!
peak=0
while kill -0 $pid 2>/dev/null; do
  # Connections whose far end is the lab's SMTP port: mxdoctor's side of each probe.
  n=$(ss -Htn state established "dport = :$LAB_SMTP_PORT" 2>/dev/null | wc -l)
  [ "$n" -gt "$peak" ] && peak=$n
  sleep 0.01
done
wait $pid
rc=$?
echo "$N silent MX hosts: at most $peak SMTP connections at once"
[ $rc = 2 ] || fail "exit $rc, want 2 ($(cat "$TMPD/report.err"))"
[ "$peak" -le 64 ] || fail "$peak connections at once, the limit is 64"
[ "$peak" -ge 32 ] || fail "only $peak connections at once: the probes did not run in parallel"
json_eval 'len(j["mx"]) == 100'
json_eval 'all(s["end"] == "greeting_timeout" for m in j["mx"] for s in m["smtp"])'
json_eval 'sum(len(m["smtp"]) for m in j["mx"]) == 100'
json_eval '"smtp.all_down" in ids'
exit 0
