#!/usr/bin/env bash
# bench/runtime.sh: svcc's runtime against the C ceiling (/work/shared/ceiling
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
CEILING=${CEILING:-/work/shared/ceiling}
OUT=$ROOT/bench/out
BIN=$OUT/ceiling
CEILING=$CEILING bash bench/ceiling/build.sh "$BIN" >/dev/null
cargo build -q -p svcc-runtime --release --bin svcc-testd
TESTD=$ROOT/target/release/svcc-testd
TICK=$(getconf CLK_TCK)
TMP=$(mktemp -d)
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then stop_server; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

# ---- process helpers ---------------------------------------------------------
children() { ps --ppid "$1" -o pid= 2>/dev/null || true; } # direct children of $1
# CPU ticks of the server: master utime+stime+cutime+cstime + live children's.
cpu_ticks() {
  local total=0 t c
  t=$(awk '{ sub(/^.*\) /, ""); print $12+$13+$14+$15 }' "/proc/$1/stat")
  total=$t
  for c in $(children "$1"); do
    t=$(awk '{ sub(/^.*\) /, ""); print $12+$13+$14+$15 }' "/proc/$c/stat" 2>/dev/null || echo 0)
    total=$((total + t))
  done
  echo "$total"
}
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
start_server() { # LOG CMD...
  local log=$1; shift
  "$@" >/dev/null 2>"$log" &
  SERVER_PID=$!
}
stop_server() {
  local c
  for c in $(children "$SERVER_PID"); do kill -TERM "$c" 2>/dev/null || true; done
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.05; done
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}
wait_port() {
  for _ in $(seq 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.02
  done
  echo "port $1 never opened" >&2
  return 1
}
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# One measurement: NAME PORT LOADER... ; the server must be running.
# Prints "rate cpu_us_per_conn overflows aborts" to $TMP/NAME.runs
measure() {
  local name=$1 port=$2; shift 2
  wait_port "$port"
  sleep 0.3
  nstat -n >/dev/null
  local c0 c1 rate n
  c0=$(cpu_ticks "$SERVER_PID")
  local out
  out=$("$@")
  c1=$(cpu_ticks "$SERVER_PID")
  local ns
  ns=$(nstat -z TcpExtListenOverflows TcpExtTCPAbortOnClose 2>/dev/null)
  local ovf abort
  ovf=$(echo "$ns" | awk '/ListenOverflows/ { print $2 }')
  abort=$(echo "$ns" | awk '/TCPAbortOnClose/ { print $2 }')
  case "$out" in
    conns/s*) rate=$(echo "$out" | awk '{ print $2 }') ;;
    *) rate=$(echo "$out" | awk '/Requests\/sec/ { print $2 }') ;;
  esac
  n=$(awk -v r="$rate" -v s="$SECS" 'BEGIN { printf "%d", r * s }')
  awk -v a="$c0" -v b="$c1" -v n="$n" -v t="$TICK" -v r="$rate" -v o="${ovf:-0}" -v x="${abort:-0}" \
    'BEGIN { printf "%s %.1f %s %s\n", r, (b - a) * 1e6 / t / (n > 0 ? n : 1), o, x }' >>"$TMP/$name.runs"
}

connbench() { CONNBENCH_RST=1 "$BIN/connbench" 127.0.0.1 "$1" 16 "$SECS"; }
wrk_close() { wrk -t1 -c32 -d"${SECS}s" -H "Connection: close" "http://127.0.0.1:$1/"; }
wrk_keep() { wrk -t1 -c32 -d"${SECS}s" "http://127.0.0.1:$1/"; }

nginx_conf() {
  mkdir -p "$TMP/nginx"
  cat >"$TMP/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $TMP/nginx/body;
  proxy_temp_path $TMP/nginx/proxy;
  fastcgi_temp_path $TMP/nginx/fastcgi;
  uwsgi_temp_path $TMP/nginx/uwsgi;
  scgi_temp_path $TMP/nginx/scgi;
  server {
    listen 127.0.0.1:$1 backlog=4096;
    location / { default_type text/plain; return 200 "hello\n"; }
  }
}
EOF
}

P=19310
run_pair() { # NAME PORT LOADER -- SERVER CMD...
  local name=$1 port=$2 loader=$3; shift 4
  start_server "$TMP/$name.log" "$@"
  measure "$name" "$port" "$loader" "$port"
  stop_server
}

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
sleep 0.5
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

report() { # NAME
  local f=$TMP/$1.runs
  printf "%-18s %10.0f %10.1f %8s %8s\n" "$1" \
    "$(awk '{ print $1 }' "$f" | median)" "$(awk '{ print $2 }' "$f" | median)" \
    "$(awk '{ print $3 }' "$f" | median)" "$(awk '{ print $4 }' "$f" | median)"
}
ratio() { awk -v a="$(awk '{ print $1 }' "$TMP/$1.runs" | median)" -v b="$(awk '{ print $1 }' "$TMP/$2.runs" | median)" 'BEGIN { printf "%.2f", a / b }'; }

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
echo "master RSS ${MASTER_RSS} KiB (target < 4096); largest idle worker RSS ${WORKER_RSS} KiB (target < 2048); children pid:KiB ${ALL_RSS}"
echo "late-closing clients (200 ms), sc=1 pl=16: ${LATE} conn/s (a worker holding its slot while lingering would cap this at 80)"
