#!/usr/bin/env bash
# bench/banner.sh: issue 15's two banner rows alone (bench/runtime.sh runs
# them with the http rows): svcc's banner with service_count = 0 (2
# workers) against the C `prefork_reuse 2 excl`, compared by server CPU per
# connection, and with service_count = 1 (process_min_avail = 8) against
# `prefork_once 8`, compared by rate. Interleaved rounds, medians.
#
#   RUNS=5 SECS=4 bash bench/banner.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUNS=${RUNS:-5}
SECS=${SECS:-4}
. "$ROOT/bench/lib.sh" # sets TMP (removed on exit) and SERVER_PID
build_runtime_peers   # sets BIN and TESTD

P=19610
for i in $(seq "$RUNS"); do
  echo "round $i/$RUNS" >&2
  P=$((P + 1))
  run_pair svcc_banner_sc0 $P connbench -- "$TESTD" --service banner handler=banner cl=1000 pl=2 min=2 "listen=127.0.0.1:$P"
  P=$((P + 1))
  run_pair c_prefork_reuse $P connbench -- "$BIN/prefork_reuse" $P 2 excl
  P=$((P + 1))
  run_pair svcc_banner_sc1 $P connbench -- "$TESTD" --service banner handler=banner sc=1 cl=1 pl=512 min=8 "listen=127.0.0.1:$P"
  P=$((P + 1))
  run_pair c_prefork_once $P connbench -- "$BIN/prefork_once" $P 8
done

echo
echo "median of $RUNS interleaved runs, ${SECS}s each; $(nproc) cores; $(uname -r)"
printf "%-18s %10s %10s %8s %8s\n" name "rate/s" "cpu_us/c" overflow abort
for n in svcc_banner_sc0 c_prefork_reuse svcc_banner_sc1 c_prefork_once; do
  report $n
done
echo
echo "banner sc=0: server CPU per connection, svcc / prefork_reuse excl: $(cpu_ratio svcc_banner_sc0 c_prefork_reuse) (target <= 1.1)"
echo "banner sc=1: rate, svcc / prefork_once 8: $(ratio svcc_banner_sc1 c_prefork_once) (target >= 0.85)"
