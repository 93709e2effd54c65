#!/usr/bin/env bash
# bench/runtime.sh: svcc's runtime against the C ceiling (../shared/ceiling
# or $CEILING) and nginx, on loopback. Not a test; not run by CI.
#
#   bash bench/runtime.sh            # RUNS=5 SECS=4 by default
#   RUNS=7 SECS=5 bash bench/runtime.sh
#
# Builds the C prototypes with gcc -O2 (bench/ceiling/build.sh) into
# bench/out/ceiling (git-ignored),
# builds svcc-testd --release, then runs every pair interleaved RUNS times
# and prints medians: connections (or requests) per second, server CPU us per
# connection (utime+stime of master + children, incl. reaped children, from
# /proc/PID/stat), and nstat ListenOverflows / TCPAbortOnClose deltas.
# connbench runs with CONNBENCH_RST=1 (client closes with RST, so no
# TIME_WAIT piles up on either side); wrk closes normally.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUNS=${RUNS:-5}
SECS=${SECS:-4}
. "$ROOT/bench/lib.sh" # sets TMP (removed on exit) and SERVER_PID
build_runtime_peers   # sets BIN and TESTD

P=19310
for i in $(seq "$RUNS"); do
  echo "round $i/$RUNS" >&2
  # A: banner, service_count 0, 2 workers vs prefork_reuse excl.
  P=$((P + 1))
  run_pair svcc_banner_sc0 $P connbench -- "$TESTD" --service banner handler=banner cl=1000 pl=2 min=2 "listen=127.0.0.1:$P"
  P=$((P + 1))
  run_pair c_prefork_reuse $P connbench -- "$BIN/prefork_reuse" $P 2 excl
  # B: banner, service_count 1, 8 ready vs prefork_once 8.
  P=$((P + 1))
  run_pair svcc_banner_sc1 $P connbench -- "$TESTD" --service banner handler=banner sc=1 cl=1 pl=512 min=8 "listen=127.0.0.1:$P"
  P=$((P + 1))
  run_pair c_prefork_once $P connbench -- "$BIN/prefork_once" $P 8
  # C: http, one worker each, Connection: close and keep-alive.
  for mode in close keep; do
    P=$((P + 1))
    run_pair "svcc_http_$mode" $P "wrk_$mode" -- "$TESTD" --service http handler=http cl=1000 pl=1 min=1 "listen=127.0.0.1:$P"
    P=$((P + 1))
    nginx_conf $P
    run_pair "nginx_http_$mode" $P "wrk_$mode" -- nginx -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log"
  done
done

# Memory: master and idle worker RSS.
P=$((P + 1))
start_server "$TMP/mem.log" "$TESTD" --service banner handler=banner cl=1000 pl=2 min=2 "listen=127.0.0.1:$P"
wait_port $P
sleep 0.5
CONNBENCH_RST=1 "$BIN/connbench" 127.0.0.1 $P 4 1 >/dev/null
# Idle: a worker returns its burst's heap one second after its last client.
sleep 1.5
MASTER_RSS=$(rss_kib "$SERVER_PID")
WORKER_RSS=$(for c in $(children "$SERVER_PID"); do rss_kib "$c"; done | sort -g | tail -1)
ALL_RSS=$(for c in $(children "$SERVER_PID"); do echo "$c:$(rss_kib "$c")"; done | tr '\n' ' ')
stop_server

# Clients that close late, service_count = 1: each of 64 clients reads the
# banner and keeps the connection 200 ms before closing. process_limit 16.
# If a worker lingered itself it would hold its process slot for those
# 200 ms, capping the rate at 16 / 0.2 s = 80 conn/s.
P=$((P + 1))
start_server "$TMP/late.log" "$TESTD" --service banner handler=banner sc=1 cl=1 pl=16 min=8 "listen=127.0.0.1:$P"
wait_port $P
LATE=$(python3 - "$P" "$SECS" <<'EOF'
import socket, sys, threading, time
port, secs = int(sys.argv[1]), float(sys.argv[2])
stop = time.time() + secs
ok = [0] * 64
def run(i):
    while time.time() < stop:
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        if s.recv(64):
            ok[i] += 1
        time.sleep(0.2)
        s.close()
ts = [threading.Thread(target=run, args=(i,)) for i in range(64)]
[t.start() for t in ts]
[t.join() for t in ts]
print("%.0f" % (sum(ok) / secs))
EOF
)
stop_server

echo
echo "median of $RUNS interleaved runs, ${SECS}s each; $(nproc) cores; $(uname -r)"
printf "%-18s %10s %10s %8s %8s\n" name "rate/s" "cpu_us/c" overflow abort
for n in svcc_banner_sc0 c_prefork_reuse svcc_banner_sc1 c_prefork_once svcc_http_close nginx_http_close svcc_http_keep nginx_http_keep; do
  report $n
done
echo
echo "banner sc=0 2 workers / prefork_reuse excl : $(ratio svcc_banner_sc0 c_prefork_reuse) (target >= 0.8)"
echo "banner sc=1 min_avail 8 / prefork_once 8   : $(ratio svcc_banner_sc1 c_prefork_once) (target >= 0.6)"
echo "http Connection: close / nginx             : $(ratio svcc_http_close nginx_http_close) (target >= 1.0)"
echo "http keep-alive / nginx                    : $(ratio svcc_http_keep nginx_http_keep) (target >= 0.9)"
echo "issue 15, server CPU per connection (request), svcc / peer, same run:"
echo "  http Connection: close / nginx           : $(cpu_ratio svcc_http_close nginx_http_close) (target <= 1.0)"
echo "  http keep-alive / nginx (per request)    : $(cpu_ratio svcc_http_keep nginx_http_keep) (target <= 0.8)"
echo "  banner sc=0 / prefork_reuse 2 excl       : $(cpu_ratio svcc_banner_sc0 c_prefork_reuse) (target <= 1.1)"
echo "  banner sc=1 rate / prefork_once 8        : $(ratio svcc_banner_sc1 c_prefork_once) (target >= 0.85)"
echo "master RSS ${MASTER_RSS} KiB (target < 4096); largest idle worker RSS ${WORKER_RSS} KiB (target < 2048); children pid:KiB ${ALL_RSS}"
echo "late-closing clients (200 ms), sc=1 pl=16: ${LATE} conn/s (a worker holding its slot while lingering would cap this at 80)"
