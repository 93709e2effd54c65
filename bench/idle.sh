#!/usr/bin/env bash
# bench/idle.sh: memory per idle keep-alive connection, svcc against nginx,
# one worker each, plaintext http. Not a test; not run by CI.
#
#   bash bench/idle.sh               # IDLE=10000 RUNS=3
#
# IDLE clients each complete one keep-alive request (`GET /`, `hello\n`)
# and stay open and silent; the RSS of all server processes after, minus
# before, divided by IDLE (bench/idle.py). Then a new client's wait for an
# answer (connect, GET, response; median of 20), which shows a worker full
# of idle clients still serves at once. RUNS rounds, svcc and nginx
# interleaved; medians.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
IDLE=${IDLE:-10000}
RUNS=${RUNS:-3}
cargo build -q -p svcc-runtime --release --features test-switches --bin svcc-testd
TESTD=$ROOT/target/release/svcc-testd
. "$ROOT/bench/lib.sh" # sets TMP (removed on exit) and SERVER_PID
ulimit -n "$(ulimit -Hn)"
NOFILE=$((IDLE + 1000))

P=19610
for i in $(seq "$RUNS"); do
  P=$((P + 1))
  start_server "$TMP/svcc.log" "$TESTD" --nofile "$NOFILE" --service http handler=http \
    "cl=$NOFILE" pl=1 min=1 "listen=127.0.0.1:$P"
  wait_port $P
  python3 bench/idle.py $P "$IDLE" "$SERVER_PID" "$TMP/svcc.res.$i" --request
  stop_server
  P=$((P + 1))
  nginx_conf $P "$NOFILE"
  start_server "$TMP/nginx.log" nginx -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log"
  wait_port $P
  python3 bench/idle.py $P "$IDLE" "$SERVER_PID" "$TMP/nginx.res.$i" --request
  stop_server
  echo "  round $i/$RUNS done" >&2
done
col() { cat "$TMP"/$1.res.* | awk -v c="$2" '{ print $c }' | median; }
echo "$IDLE idle keep-alive connections, one worker; median of $RUNS rounds; $(nproc) cores; $(nginx -v 2>&1)"
printf "%-6s %14s %16s\n" server "KiB/idle conn" "new client ms"
for s in svcc nginx; do printf "%-6s %14s %16s\n" $s "$(col $s 1)" "$(col $s 4)"; done
echo "svcc / nginx memory per idle connection: $(awk -v a="$(col svcc 1)" -v b="$(col nginx 1)" 'BEGIN { printf "%.2f", a / b }') (target <= 1.0)"
