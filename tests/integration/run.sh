#!/bin/sh
# Runs every tests/integration/t_*.sh against $MXD_BIN; each test is a shell script
# that exits 0 (pass), 77 (skip, with its reason on stdout) or anything else (fail).
set -u
: "${MXD_BIN:=./mxdoctor}"
export MXD_BIN
dir=$(dirname "$0")
pass=0; fail=0; skip=0
# With arguments, only the named tests (e.g. `run.sh t_cli t_scenarios`).
if [ $# -gt 0 ]; then
  tests=""; for n in "$@"; do tests="$tests $dir/$n.sh"; done
else
  tests=$(ls "$dir"/t_*.sh 2>/dev/null)
fi
for t in $tests; do
  [ -e "$t" ] || continue
  out=$(sh "$t" 2>&1); rc=$?
  name=$(basename "$t" .sh)
  case $rc in
    0) pass=$((pass + 1)); echo "PASS $name" ;;
    77) skip=$((skip + 1)); echo "SKIP $name: $(printf '%s' "$out" | tail -n 1)" ;;
    *) fail=$((fail + 1)); echo "FAIL $name (exit $rc)"; printf '%s\n' "$out" | tail -n 30 | sed 's/^/    /' ;;
  esac
done
echo "integration: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
