#!/bin/sh
# bench/run.sh — `make bench`: speed and scale of mxdoctor on the practice lab.
#
# Installs what the comparison needs (dig, swaks, GNU time) when it is missing,
# then runs bench/bench.py. Results go to stdout, to
# build/bench/results.json and into help/BENCHMARKS.md (between its
# bench:begin/bench:end markers). Loopback only; takes about 15 minutes, most of
# it the 1,000 sequential single runs (BENCH_SEQ=100 samples fewer).
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)

have() { command -v "$1" >/dev/null 2>&1; }
missing=""
have dig || missing="$missing dnsutils"
have swaks || missing="$missing swaks"
[ -x /usr/bin/time ] || missing="$missing time"
have python3 || missing="$missing python3"
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && have apt-get; then
    echo "bench: installing$missing" >&2
    # shellcheck disable=SC2086
    apt-get install -y -q $missing >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q $missing >/dev/null; }
  else
    echo "bench: please install:$missing" >&2
    exit 1
  fi
fi

[ -x ./mxdoctor ] || make --no-print-directory all
# A private copy, so that a rebuild during the quarter of an hour changes nothing.
mkdir -p build/bench
cp ./mxdoctor build/bench/mxdoctor
MXD_BIN="$root/build/bench/mxdoctor"
MXD_BATCH_CMD="$MXD_BIN"
MXDOCTOR_HELP="${MXDOCTOR_HELP:-$root/help}"
export MXD_BIN MXD_BATCH_CMD MXDOCTOR_HELP
exec python3 bench/bench.py
