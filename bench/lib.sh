# bench/lib.sh: shell helpers shared by the benchmark scripts (sourced, not
# run). It creates TMP, a scratch directory removed on exit (per-peer results
# go to $TMP/NAME.runs). The caller sets, before calling the helpers:
#   SECS        seconds per load run
#   BIN         the C ceiling binaries (bench/ceiling/build.sh), for connbench
# and may read SERVER_PID (the server started by start_server).
TICK=${TICK:-$(getconf CLK_TCK)}
SERVER_PID=${SERVER_PID:-}
# A scratch directory, removed on exit together with any server still running.
TMP=$(mktemp -d)
bench_cleanup() {
  if [ -n "$SERVER_PID" ]; then stop_server; fi
  rm -rf "$TMP"
}
trap bench_cleanup EXIT

# Builds the C ceiling prototypes (../shared/ceiling, or $CEILING) into
# bench/out/ceiling and a release svcc-testd; sets BIN and TESTD.
build_runtime_peers() {
  CEILING=${CEILING:-$ROOT/../shared/ceiling}
  BIN=$ROOT/bench/out/ceiling
  CEILING=$CEILING bash "$ROOT/bench/ceiling/build.sh" "$BIN" >/dev/null
  cargo build -q -p svcc-runtime --release --features test-switches --bin svcc-testd
  TESTD=$ROOT/target/release/svcc-testd
}

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

run_pair() { # NAME PORT LOADER -- SERVER CMD...
  local name=$1 port=$2 loader=$3; shift 4
  start_server "$TMP/$name.log" "$@"
  measure "$name" "$port" "$loader" "$port"
  stop_server
}

report() { # NAME
  local f=$TMP/$1.runs
  printf "%-18s %10.0f %10.1f %8s %8s\n" "$1" \
    "$(awk '{ print $1 }' "$f" | median)" "$(awk '{ print $2 }' "$f" | median)" \
    "$(awk '{ print $3 }' "$f" | median)" "$(awk '{ print $4 }' "$f" | median)"
}
# cpu_ratio A B: median server CPU µs per connection (or request) of A / B.
cpu_ratio() { awk -v a="$(awk '{ print $2 }' "$TMP/$1.runs" | median)" -v b="$(awk '{ print $2 }' "$TMP/$2.runs" | median)" 'BEGIN { printf "%.2f", a / b }'; }
ratio() { awk -v a="$(awk '{ print $1 }' "$TMP/$1.runs" | median)" -v b="$(awk '{ print $1 }' "$TMP/$2.runs" | median)" 'BEGIN { printf "%.2f", a / b }'; }


# nginx with one worker on 127.0.0.1:PORT answering `hello\n`, its config in
# $TMP/nginx/nginx.conf. CONNECTIONS is worker_connections (descriptors:
# four times that); LISTEN adds to the `listen` line (e.g. `ssl`), SERVER
# adds directives to the server block; NGINX_BACKLOG sets the listen queue
# (default 4096).
nginx_conf() { # PORT [CONNECTIONS] [LISTEN] [SERVER]
  local conns=${2:-4096}
  mkdir -p "$TMP/nginx"
  cat >"$TMP/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log;
worker_rlimit_nofile $((conns * 4));
events { worker_connections $conns; }
http {
  access_log off;
  client_body_temp_path $TMP/nginx/body;
  proxy_temp_path $TMP/nginx/proxy;
  fastcgi_temp_path $TMP/nginx/fastcgi;
  uwsgi_temp_path $TMP/nginx/uwsgi;
  scgi_temp_path $TMP/nginx/scgi;
  server {
    listen 127.0.0.1:$1 ${3:-} backlog=${NGINX_BACKLOG:-4096};
    ${4:-}
    location / { default_type text/plain; return 200 "hello\n"; }
  }
}
EOF
}
