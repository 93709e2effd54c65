#!/usr/bin/env bash
# bench/tls.sh: svcc's TLS (rustls, aws-lc-rs) against nginx (OpenSSL), one
# worker each, same ECDSA P-256 certificate, session tickets and caches off
# on both (so every `Connection: close` request is a full handshake), on
# loopback. Not a test; not run by CI. Needs wrk, nginx, openssl, python3.
#
#   bash bench/tls.sh                # RUNS=5 SECS=4 IDLE=2000 by default
#
# Prints medians of interleaved runs: full handshakes per second (wrk over
# https with Connection: close, each request a new TLS connection) and
# server CPU us per handshake (utime+stime of master + children from
# /proc/PID/stat); keep-alive requests per second over TLS; and memory per
# idle TLS connection (RSS of all server processes with IDLE handshaken,
# idle connections, minus before, divided by IDLE).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUNS=${RUNS:-5}
SECS=${SECS:-4}
IDLE=${IDLE:-2000}
cargo build -q -p svcc-runtime --release --features test-switches --bin svcc-testd
TESTD=$ROOT/target/release/svcc-testd
. "$ROOT/bench/lib.sh" # sets TMP (removed on exit) and SERVER_PID

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj /CN=localhost -addext subjectAltName=DNS:localhost \
  -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null

tls_nginx_conf() { # PORT
  nginx_conf "$1" 16384 ssl "ssl_certificate $TMP/cert.pem;
    ssl_certificate_key $TMP/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_tickets off;
    ssl_session_cache off;
    keepalive_requests 1000000;"
}

svcc_cmd() { # PORT
  echo "$TESTD" --tls-cert "$TMP/cert.pem" --tls-key "$TMP/key.pem" --tls-no-ticket \
    --service http handler=http cl=16384 pl=1 min=1 "tls-listen=127.0.0.1:$1"
}

wrk_tls_close() { wrk -t1 -c32 -d"${SECS}s" -H "Connection: close" "https://127.0.0.1:$1/"; }
wrk_tls_keep() { wrk -t1 -c32 -d"${SECS}s" "https://127.0.0.1:$1/"; }

ulimit -n 65536 2>/dev/null || true
P=19610
for i in $(seq "$RUNS"); do
  echo "round $i/$RUNS" >&2
  for mode in close keep; do
    P=$((P + 1))
    # shellcheck disable=SC2046
    run_pair "svcc_tls_$mode" $P "wrk_tls_$mode" -- $(svcc_cmd $P)
    P=$((P + 1))
    tls_nginx_conf $P
    run_pair "nginx_tls_$mode" $P "wrk_tls_$mode" -- nginx -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log"
  done
done

# Memory per idle TLS connection: IDLE clients handshake, send nothing more
# and stay open; RSS of every server process, before and after.
idle_mem() { # NAME PORT
  wait_port "$2"
  sleep 0.5
  python3 bench/idle.py "$2" "$IDLE" "$SERVER_PID" "$TMP/$1.mem" --tls
}
P=$((P + 1))
# shellcheck disable=SC2046
start_server "$TMP/svcc_mem.log" $(svcc_cmd $P)
idle_mem svcc_idle $P
stop_server
P=$((P + 1))
tls_nginx_conf $P
start_server "$TMP/nginx_mem.log" nginx -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log"
idle_mem nginx_idle $P
stop_server

echo
echo "median of $RUNS interleaved runs, ${SECS}s each; $(nproc) cores; $(uname -r); $(nginx -v 2>&1); $(openssl version)"
printf "%-18s %10s %10s %8s %8s\n" name "rate/s" "cpu_us/c" overflow abort
for n in svcc_tls_close nginx_tls_close svcc_tls_keep nginx_tls_keep; do
  report $n
done
echo
echo "full handshakes/s svcc / nginx   : $(ratio svcc_tls_close nginx_tls_close) (target >= 1.0)"
echo "keep-alive req/s over TLS / nginx: $(ratio svcc_tls_keep nginx_tls_keep) (target >= 1.0)"
cpu() { awk '{ print $2 }' "$TMP/$1.runs" | median; }
echo "server CPU us per handshake      : svcc $(cpu svcc_tls_close), nginx $(cpu nginx_tls_close) (target: svcc <= nginx)"
echo "RSS per idle TLS connection (KiB): svcc $(cut -d' ' -f1 "$TMP/svcc_idle.mem"), nginx $(cut -d' ' -f1 "$TMP/nginx_idle.mem") (target: svcc <= nginx; $IDLE connections; before/after KiB: svcc $(cut -d' ' -f2,3 "$TMP/svcc_idle.mem"), nginx $(cut -d' ' -f2,3 "$TMP/nginx_idle.mem"))"
