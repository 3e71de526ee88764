#!/bin/sh
# Runs every Check unit-test binary given; prints one closing line and fails if any failed.
# CK_FORK=yes keeps a crashing test from taking the others down.
set -u
pass=0; fail=0
for t in "$@"; do
  out=$(CK_FORK=yes "$t" 2>&1); rc=$?
  line=$(printf '%s\n' "$out" | grep -E '^[0-9]+%: Checks: ' | tail -n 1)
  printf '%-40s %s\n' "$(basename "$t")" "${line:-no summary (exit $rc)}"
  if [ $rc -ne 0 ]; then
    printf '%s\n' "$out" | grep -vE '^(Running suite|[0-9]+%: Checks)' | head -n 40
    fail=$((fail + 1))
  else
    pass=$((pass + 1))
  fi
done
echo "unit: $pass passed, $fail failed"
[ $fail -eq 0 ]
