#!/usr/bin/env bash
# bench/hostile.sh: probe latency of svcc's http handler and of nginx (1
# worker) while hostile clients hold them (bench/hostile.py: 3000
# slowloris clients sending a byte every 5 s, then a flood of 20000
# silent connects), on loopback. Not a test; not run by CI. ~2 minutes.
#
#   bash bench/hostile.sh
#   TESTD=/path/to/other/svcc-testd bash bench/hostile.sh   # e.g. an older build
#   SLOWLORIS=4000 SECS=20 bash bench/hostile.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
if [ -z "${TESTD:-}" ]; then
  cargo build -q -p svcc-runtime --release --features test-switches --bin svcc-testd
  TESTD=$ROOT/target/release/svcc-testd
fi
SECS=${SECS:-20}
SLOWLORIS=${SLOWLORIS:-3000}
. "$ROOT/bench/lib.sh" # sets TMP (removed on exit) and SERVER_PID
ulimit -n "$(ulimit -Hn)"

# client_limit x process_limit = 3000 slots, as many as slowloris clients.
start_server "$TMP/svcc.log" "$TESTD" --service http handler=http cl=1000 pl=3 min=1 \
  listen=127.0.0.1:18480
wait_port 18480
python3 bench/hostile.py 18480 --secs "$SECS" --slowloris "$SLOWLORIS" --label "svcc http, client_limit 1000 x process_limit 3"
echo "svcc \"make room\" log lines: $(grep -c "to make room" "$TMP/svcc.log" || true)"
grep "to make room" "$TMP/svcc.log" | tail -1 || true
stop_server

NGINX_BACKLOG=3000 nginx_conf 18481 4096 # the listen queue svcc gets: 1000 x 3
start_server "$TMP/nginx.log" nginx -c "$TMP/nginx/nginx.conf" -p "$TMP/nginx"
wait_port 18481
python3 bench/hostile.py 18481 --secs "$SECS" --slowloris "$SLOWLORIS" --label "nginx 1 worker, worker_connections 4096"
stop_server
