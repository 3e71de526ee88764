#!/bin/sh
# Every built-in practice-lab scenario, run with --report --format json, must
# produce exactly the finding ids its file declares under "expect:", so the
# scenarios and the engine can never drift apart.
. "$(dirname "$0")/lib.sh"
[ -d help/scenarios ] || skip "no help/scenarios"
n=0; bad=0
for f in help/scenarios/*.scn; do
  id=$(sed -n 's/^id:[[:space:]]*//p' "$f" | head -n 1)
  expect=$(sed -n 's/^expect:[[:space:]]*//p' "$f" | tr ' ' '\n' | grep . | sort -u | tr '\n' ' ')
  "$MXD_BIN" --lab "$id" --report --format json --timeout 2 >"$TMPD/$id.json" 2>"$TMPD/$id.err"
  rc=$?
  got=$(python3 -c '
import json, sys
j = json.load(open(sys.argv[1], encoding="utf-8"))
print(" ".join(sorted({f["id"] for s in j["steps"] for f in s["findings"]})))' "$TMPD/$id.json" 2>>"$TMPD/$id.err")
  n=$((n + 1))
  if [ "$(echo $got)" != "$(echo $expect)" ]; then
    bad=$((bad + 1))
    echo "scenario $id (exit $rc):"
    echo "  expected: $expect"
    echo "  got:      $got"
    head -c 300 "$TMPD/$id.err"
  fi
  case $rc in 0|1|2|3) ;; *) bad=$((bad + 1)); echo "scenario $id: exit $rc" ;; esac
done
echo "$n scenarios, $bad mismatches"
[ $n -ge 17 ] || fail "only $n scenarios"
[ $bad -eq 0 ]
