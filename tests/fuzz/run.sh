#!/bin/sh
# run.sh — builds and runs the libFuzzer targets (tests/fuzz/fuzz_*.c).
#
#   sh tests/fuzz/run.sh                  every target for $FUZZ_SECONDS (60) seconds
#   sh tests/fuzz/run.sh --seconds 600 spf dnswire
#   sh tests/fuzz/run.sh --smoke          what `make check` runs: each target briefly
#
# Each target first replays tests/fuzz/regressions/<target>/ (every input that
# ever crashed it: these must pass), then fuzzes with its seed corpus
# tests/fuzz/corpus/<target>/ read-only; what it learns goes to
# build-fuzz/corpus/<target>/ and crashes to build-fuzz/crashes/<target>/.
# A crash, a sanitizer report, a leak, a broken property (FUZZ_ASSERT), a hang
# over 25 s or memory over 2 GB fails the run. To keep what was found:
#   build-fuzz/fuzz_T -merge=1 tests/fuzz/corpus/T build-fuzz/corpus/T
# Runs one target at a time on one core (-jobs is never used): the machine is
# shared with the rest of the build.
set -u

seconds="${FUZZ_SECONDS:-60}"
targets=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --seconds=*) seconds="${1#--seconds=}"; shift ;;
    --smoke) seconds="${FUZZ_SMOKE_SECONDS:-6}"; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 64 ;;
    *) targets="$targets $1"; shift ;;
  esac
done
case "$seconds" in ''|*[!0-9]*) echo "run.sh: --seconds needs a number" >&2; exit 64 ;; esac

B=build-fuzz
CC_FUZZ="${FUZZ_CC:-clang}"
if ! command -v "$CC_FUZZ" >/dev/null 2>&1; then
  echo "run.sh: $CC_FUZZ not found (make deps installs clang)" >&2
  exit 1
fi
# libFuzzer ships in libclang-rt-*-dev on Debian; without it -fsanitize=fuzzer fails to link.
probe="$B/.probe"
mkdir -p "$B"
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$probe.c"
if ! "$CC_FUZZ" -fsanitize=fuzzer,address,undefined -o "$probe" "$probe.c" >"$probe.log" 2>&1; then
  echo "run.sh: $CC_FUZZ cannot link -fsanitize=fuzzer (install libclang-rt-dev):" >&2
  cat "$probe.log" >&2
  exit 1
fi

make --no-print-directory -f tests/fuzz/fuzz.mk -j2 FUZZ_CC="$CC_FUZZ" || exit 1

if [ -z "$targets" ]; then
  for f in tests/fuzz/fuzz_*.c; do
    t="${f#tests/fuzz/fuzz_}"
    targets="$targets ${t%.c}"
  done
fi

# Leaks are bugs too; UBSan stops at the first report with a stack.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export MXDOCTOR_HELP="${MXDOCTOR_HELP:-$(pwd)/help}"

passed=0
failed=0
failures=""
mkdir -p "$B/logs"
for t in $targets; do
  bin="$B/fuzz_$t"
  if [ ! -x "$bin" ]; then
    echo "fuzz_$t: no such target" >&2
    failed=$((failed + 1)); failures="$failures $t"
    continue
  fi
  log="$B/logs/$t.log"
  : >"$log"
  ok=1

  # 1. Every input that ever broke this target.
  reg="tests/fuzz/regressions/$t"
  nreg=0
  if [ -d "$reg" ]; then
    set -- "$reg"/*
    if [ -e "$1" ]; then
      nreg=$#
      if ! "$bin" -runs=1 "$@" >>"$log" 2>&1; then
        ok=0
        echo "fuzz_$t: a regression input fails again:" >&2
      fi
    fi
  fi

  # 2. Fuzz from the seeds, plus whatever earlier runs learned.
  work="$B/corpus/$t"
  crashes="$B/crashes/$t"
  mkdir -p "$work" "$crashes"
  dirs="$work tests/fuzz/corpus/$t"
  [ -d "$reg" ] && dirs="$dirs $reg"
  if [ $ok = 1 ]; then
    # shellcheck disable=SC2086
    if ! "$bin" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 -max_len=65536 \
         -print_final_stats=1 -artifact_prefix="$crashes/" $dirs >>"$log" 2>&1; then
      ok=0
      echo "fuzz_$t: FAILED; the input is in $crashes/:" >&2
    fi
  fi

  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  cov=$(grep -E '^#[0-9]+' "$log" | grep -o 'cov: [0-9]*' | tail -n 1)
  ft=$(grep -E '^#[0-9]+' "$log" | grep -o 'ft: [0-9]*' | tail -n 1)
  corp=$(grep -E '^#[0-9]+' "$log" | grep -o 'corp: [0-9]*' | tail -n 1)
  if [ $ok = 1 ]; then
    passed=$((passed + 1))
    echo "fuzz_$t: ok  ${execs:-0} runs in ${seconds}s, ${cov:-cov: ?}, ${ft:-ft: ?}, ${corp:-corp: ?}, $nreg regressions replayed"
  else
    failed=$((failed + 1)); failures="$failures $t"
    grep -E 'ERROR|SUMMARY|property broken|runtime error|Test unit written|^    #[0-9] ' "$log" | head -n 30 >&2
    echo "fuzz_$t: whole log in $log" >&2
  fi
done

echo "fuzz: $passed passed, $failed failed"
[ $failed = 0 ] || { echo "fuzz: failing:$failures" >&2; exit 1; }
exit 0
