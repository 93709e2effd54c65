#!/usr/bin/env bash
# bench/build.sh: `svcc build` and the tailored binary. Not a test; not run by
# CI. Four parts (PARTS selects, all by default):
#
#   codegen   the compiler's steps behind `svcc::main!`, timed directly by
#             compiler/examples/bench_codegen.rs (check_path, then
#             codegen::generate): Debian's stock Dovecot config (error path:
#             its executables are no svcc handlers) and a generated
#             1,000-service config (echo|banner|http|discard, success path).
#   build     `svcc build examples/echo/echo.conf` cold (fresh SVCC_CACHE_DIR,
#             COLD_RUNS times) and warm after editing one setting (client_limit
#             alternating 100/101, RUNS times), a no-op rebuild, binary size.
#   startup   exec of the built echo binary to the first successful TCP
#             connect and to the first echo round trip (a worker accepted),
#             polling connect every 0.2 ms; interleaved with `--version` (exec
#             to exit) as the floor. STARTUP_RUNS runs.
#   tailored  binaries built by `svcc build` from configs equivalent to
#             bench/runtime.sh's banner sc=0 / banner sc=1 / http services,
#             against svcc-testd with the same specs, same port, same load
#             (connbench with CONNBENCH_RST=1, wrk -t1 -c32), interleaved,
#             the order swapped every round.
#
#   bash bench/build.sh                        # RUNS=5 SECS=4 by default
#   PARTS="build startup" RUNS=7 bash bench/build.sh
#
# The generated crates depend on the svcc sources by path, and those are
# edited while this runs: the script snapshots the working tree (tracked and
# untracked, git-ignored files excluded) into a temp dir and points
# SVCC_SOURCE_DIR at it, so no rebuild picks up someone's half-made edit.
# Needs: cargo, gcc, python3, wrk, nstat, ../shared/ceiling (or $CEILING).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PARTS=${PARTS:-"codegen build startup tailored"}
RUNS=${RUNS:-5}
COLD_RUNS=${COLD_RUNS:-5}
STARTUP_RUNS=${STARTUP_RUNS:-15}
CODEGEN_ITER=${CODEGEN_ITER:-20}
SECS=${SECS:-4}
STOCK=${STOCK:-/usr/share/dovecot/dovecot.conf}
CEILING=${CEILING:-$ROOT/../shared/ceiling}
BIN=$ROOT/bench/out/ceiling
if [ "$RUNS" -lt 5 ] || [ "$COLD_RUNS" -lt 1 ] || [ "$STARTUP_RUNS" -lt 10 ]; then
  echo "build.sh: RUNS >= 5, COLD_RUNS >= 1 and STARTUP_RUNS >= 10 please" >&2
  exit 2
fi
has() { case " $PARTS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

. "$ROOT/bench/lib.sh" # sets TMP (removed on exit) and SERVER_PID

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f\n", b - a }'; }
med() { median | awk '{ printf "%.3f", $1 }'; } # median of stdin, 3 decimals
# A TCP port below the ephemeral range that nothing uses now.
free_port() { # FROM
  python3 - "$1" <<'EOF'
import socket, sys
for p in range(int(sys.argv[1]), 32768):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    print(p)
    break
EOF
}

echo "svcc bench/build.sh  $(date -u +%Y-%m-%dT%H:%MZ)  $(nproc) cores  $(uname -r)  $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- compiler runtime macros src Cargo.toml Cargo.lock || echo +dirty)"
echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- codegen -----------------------------------------------------------------
gen_services() { # N FILE: N services, 4 built-in handlers, unique ports on 127.0.0.1
  awk -v n="$1" 'BEGIN {
    ex[0] = "echo"; ex[1] = "banner"; ex[2] = "http"; ex[3] = "discard"
    for (i = 0; i < n; i++) {
      s = sprintf("s%04d", i)
      printf "service %s {\n  executable = %s\n  client_limit = 100\n  process_limit = 2\n", s, ex[i % 4]
      printf "  inet_listener %s {\n    address = 127.0.0.1\n    port = %d\n  }\n}\n", s, 20000 + i
    }
  }' >"$2"
}
if has codegen; then
  cargo build -q --release -p svcc-compiler --example bench_codegen
  CG=$TMP/bench_codegen
  cp "$ROOT/target/release/examples/bench_codegen" "$CG"
  gen_services 1000 "$TMP/services-1000.conf"
  for i in $(seq "$RUNS"); do
    echo "codegen round $i/$RUNS" >&2
    files=("$STOCK" "$TMP/services-1000.conf")
    if [ $((i % 2)) = 0 ]; then files=("$TMP/services-1000.conf" "$STOCK"); fi
    for f in "${files[@]}"; do
      tag=stock; [ "$f" = "$STOCK" ] || tag=s1000
      "$CG" "$f" "$CODEGEN_ITER" >"$TMP/cg-$tag-$i.out"
    done
  done
  cg() { # TAG KEY: median over rounds of the per-round median
    for i in $(seq "$RUNS"); do sed -n "s/^$2=//p" "$TMP/cg-$1-$i.out"; done | median | awk '{ printf "%.0f", $1 }'
  }
  cgv() { sed -n "s/^$2=//p" "$TMP/cg-$1-1.out"; }
  echo
  echo "== codegen: median over $RUNS rounds of the median of $CODEGEN_ITER iterations (us)"
  printf "%-22s %9s %9s %9s %11s %9s %9s %11s\n" config services errors check generate "check+gen" to_string token_bytes
  for tag in stock s1000; do
    printf "%-22s %9s %9s %9s %11s %9s %9s %11s\n" "$tag" "$(cgv $tag runnable_services)" "$(cgv $tag compile_errors)" \
      "$(cg $tag check_us)" "$(cg $tag generate_us)" "$(cg $tag check_plus_generate_us)" "$(cg $tag to_string_us)" "$(cgv $tag token_text_bytes)"
  done
fi

# ---- svcc build ----------------------------------------------------------------
SRC=$TMP/src
if has build || has startup || has tailored; then
  cargo build -q --release -p svcc-compiler --bin svcc
  cp "$ROOT/target/release/svcc" "$TMP/svcc"
  mkdir -p "$SRC"
  git -C "$ROOT" ls-files -z --cached --others --exclude-standard |
    (cd "$ROOT" && tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xf - -C "$SRC"
  export SVCC_SOURCE_DIR=$SRC
  CACHE=$TMP/cache # the warm cache: left by the last cold build
  svcc_build() { # CONFIG OUT: prints wall seconds
    local t0
    t0=$(now)
    SVCC_CACHE_DIR=$CACHE "$TMP/svcc" build "$1" -o "$2" >"$TMP/build.log" 2>&1 ||
      { cat "$TMP/build.log" >&2; echo "svcc build $1 failed" >&2; return 1; }
    since "$t0"
  }
fi
ECHO_PORT=$(free_port 17007)
mkdir -p "$TMP/echo"
ECHO_CONF=$TMP/echo/echo.conf
sed "s/port = 7007/port = $ECHO_PORT/" "$ROOT/examples/echo/echo.conf" >"$ECHO_CONF"
ECHO_BIN=$TMP/echo-server
if has build; then
  for i in $(seq "$COLD_RUNS"); do
    echo "cold build $i/$COLD_RUNS" >&2
    rm -rf "$CACHE"
    svcc_build "$ECHO_CONF" "$ECHO_BIN" >>"$TMP/cold.runs"
  done
  # The 1,000-service config through the real macro expansion: a first,
  # untimed build of its crate, then edits like echo's (its first service's
  # client_limit), interleaved with echo's.
  S1K=$TMP/s1k/services-1000.conf
  mkdir -p "$TMP/s1k"
  gen_services 1000 "$S1K"
  svcc_build "$S1K" "$TMP/s1k/services-1000" >/dev/null
  warm_echo() { # CL
    sed -i "s/client_limit = [0-9]*/client_limit = $1/" "$ECHO_CONF"
    svcc_build "$ECHO_CONF" "$ECHO_BIN" >>"$TMP/warm.runs"
    "$ECHO_BIN" --print-config | grep "client_limit = $1 " >/dev/null ||
      { echo "build.sh: the rebuilt binary does not have client_limit = $1" >&2; exit 1; }
  }
  warm_s1k() { # CL
    sed -i "0,/client_limit = [0-9]*/s//client_limit = $1/" "$S1K"
    svcc_build "$S1K" "$TMP/s1k/services-1000" >>"$TMP/warm1k.runs"
    "$TMP/s1k/services-1000" --print-config | grep "client_limit = $1 " >/dev/null ||
      { echo "build.sh: the rebuilt 1,000-service binary does not have client_limit = $1" >&2; exit 1; }
  }
  for i in $(seq "$RUNS"); do
    echo "warm build $i/$RUNS" >&2
    cl=$((100 + i % 2))
    if [ $((i % 2)) = 1 ]; then warm_echo $cl; warm_s1k $cl; else warm_s1k $cl; warm_echo $cl; fi
  done
  for i in $(seq "$RUNS"); do svcc_build "$ECHO_CONF" "$ECHO_BIN" >>"$TMP/noop.runs"; done
  echo
  echo "== svcc build examples/echo/echo.conf (wall s)"
  echo "cold (fresh SVCC_CACHE_DIR), median of $COLD_RUNS: $(med <"$TMP/cold.runs")   runs: $(tr '\n' ' ' <"$TMP/cold.runs")"
  echo "warm, one setting edited, median of $RUNS: $(med <"$TMP/warm.runs")   runs: $(tr '\n' ' ' <"$TMP/warm.runs") (target < 15)"
  echo "warm, nothing edited, median of $RUNS: $(med <"$TMP/noop.runs")"
  echo "binary: $(stat -c %s "$ECHO_BIN") bytes; svcc-testd $(stat -c %s "$ROOT/target/release/svcc-testd" 2>/dev/null || echo '?') bytes"
  if command -v size >/dev/null; then size "$ECHO_BIN" | sed "s|$TMP/||"; fi
  echo "1,000-service config, warm, one setting edited, median of $RUNS: $(med <"$TMP/warm1k.runs")   runs: $(tr '\n' ' ' <"$TMP/warm1k.runs")"
  echo "1,000-service binary: $(stat -c %s "$TMP/s1k/services-1000") bytes"
elif has startup; then
  svcc_build "$ECHO_CONF" "$ECHO_BIN" >/dev/null
fi

# ---- start-up ------------------------------------------------------------------
if has startup; then
  cat >"$TMP/startup.py" <<'EOF'
# exec → first connect / first echo round trip, interleaved with --version.
import os, signal, socket, statistics, sys, time
binary, port, base, runs = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
null = os.open(os.devnull, os.O_WRONLY)
def spawn(args, log):
    fa = [(os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_OPEN, 2, log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)]
    return os.posix_spawn(binary, [binary] + args, os.environ, file_actions=fa)
def kids(pid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(d))
            except (OSError, IndexError, ValueError):
                pass
    return out
def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
conn, echo, floor = [], [], []
for i in range(runs):
    d = "%s/run%d" % (base, i)
    os.makedirs(d)
    t0 = time.perf_counter_ns()
    pid = spawn(["--base-dir", d], d + ".log")
    tc = te = None
    try:
        while time.perf_counter_ns() - t0 < 5e9:
            s = socket.socket()
            try:
                s.connect(("127.0.0.1", port))
            except ConnectionRefusedError:
                s.close()
                time.sleep(0.0002)
                continue
            tc = time.perf_counter_ns()
            s.sendall(b"svcc\n")
            got = b""
            s.settimeout(5)
            while not got.endswith(b"svcc\n"):
                b = s.recv(64)
                if not b:
                    break
                got += b
            te = time.perf_counter_ns()
            s.close()
            break
    finally:
        ks = kids(pid)
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
        for k in ks:  # the master stops its workers; make sure, by pid
            for _ in range(100):
                if not alive(k):
                    break
                time.sleep(0.01)
            else:
                os.kill(k, signal.SIGKILL)
    if te is None or not got.endswith(b"svcc\n"):
        sys.exit("run %d: no echo round trip within 5 s (see %s.log)" % (i, d))
    conn.append((tc - t0) / 1e3)
    echo.append((te - t0) / 1e3)
    t0 = time.perf_counter_ns()
    pid = spawn(["--version"], d + ".version")
    os.waitpid(pid, 0)
    floor.append((time.perf_counter_ns() - t0) / 1e3)
    time.sleep(0.05)
for k, v in (("connect_us", conn), ("echo_us", echo), ("version_us", floor)):
    print("%s=%.0f min=%.0f max=%.0f" % (k, statistics.median(v), min(v), max(v)))
EOF
  echo "start-up ($STARTUP_RUNS runs)" >&2
  mkdir -p "$TMP/startup"
  python3 "$TMP/startup.py" "$ECHO_BIN" "$ECHO_PORT" "$TMP/startup" "$STARTUP_RUNS" >"$TMP/startup.out"
  echo
  echo "== start-up of the echo binary, median of $STARTUP_RUNS (us; connect polled every 0.2 ms)"
  sed 's/^/  /' "$TMP/startup.out"
  echo "  (connect_us: exec → listener accepts a TCP connect; echo_us: exec → first echo round trip, target < 10000; version_us: exec → exit of --version)"
fi

# ---- tailored vs hand-written specs ----------------------------------------------
if has tailored; then
  CEILING=$CEILING bash bench/ceiling/build.sh "$BIN" >/dev/null
  cargo build -q -p svcc-runtime --release --features test-switches --bin svcc-testd
  cp "$ROOT/target/release/svcc-testd" "$TMP/svcc-testd"
  TESTD=$TMP/svcc-testd
  # The tailored binaries get Dovecot's defaults idle_kill = 60 secs and
  # vsz_limit = 256M; svcc-testd gets the same values explicitly.
  SAME="idle-kill-ms=60000 vsz=268435456"
  tconf() { # NAME PORT EXECUTABLE SETTINGS...
    local name=$1 port=$2 exe=$3; shift 3
    {
      echo "base_dir = $TMP/base"
      echo "service $name {"
      echo "  executable = $exe"
      for s in "$@"; do echo "  $s"; done
      echo "  inet_listener $name {"
      echo "    address = 127.0.0.1"
      echo "    port = $port"
      echo "  }"
      echo "}"
    } >"$TMP/$name.conf"
  }
  P_SC0=$(free_port 19410); P_SC1=$(free_port $((P_SC0 + 1))); P_HTTP=$(free_port $((P_SC1 + 1)))
  tconf banner "$P_SC0" banner "client_limit = 1000" "process_limit = 2" "process_min_avail = 2" "service_count = 0"
  mv "$TMP/banner.conf" "$TMP/banner_sc0.conf"
  tconf banner "$P_SC1" banner "client_limit = 1" "process_limit = 512" "process_min_avail = 8" "service_count = 1"
  mv "$TMP/banner.conf" "$TMP/banner_sc1.conf"
  tconf http "$P_HTTP" http "client_limit = 1000" "process_limit = 1" "process_min_avail = 1"
  for c in banner_sc0 banner_sc1 http; do
    state="warm cache, new crate"; [ -d "$CACHE/target" ] || state="cold cache"
    echo "svcc build $c.conf: $(svcc_build "$TMP/$c.conf" "$TMP/tail_$c") s ($state)" >&2
  done
  mkdir -p "$TMP/base" "$TMP/base-hand" "$TMP/base-tail"
  pair() { # ROUND CASE PORT LOADER -- HAND CMD...
    local round=$1 case=$2 port=$3 loader=$4; shift 5
    local tail_cmd=("$TMP/tail_$case" --base-dir "$TMP/base-tail")
    case $case in http_*) tail_cmd=("$TMP/tail_http" --base-dir "$TMP/base-tail") ;; esac
    if [ $((round % 2)) = 1 ]; then
      run_pair "tail_$case" "$port" "$loader" -- "${tail_cmd[@]}"
      run_pair "hand_$case" "$port" "$loader" -- "$@" --base-dir "$TMP/base-hand"
    else
      run_pair "hand_$case" "$port" "$loader" -- "$@" --base-dir "$TMP/base-hand"
      run_pair "tail_$case" "$port" "$loader" -- "${tail_cmd[@]}"
    fi
  }
  for i in $(seq "$RUNS"); do
    echo "tailored round $i/$RUNS" >&2
    pair "$i" banner_sc0 "$P_SC0" connbench -- "$TESTD" --service banner handler=banner cl=1000 pl=2 min=2 $SAME "listen=127.0.0.1:$P_SC0"
    pair "$i" banner_sc1 "$P_SC1" connbench -- "$TESTD" --service banner handler=banner sc=1 cl=1 pl=512 min=8 $SAME "listen=127.0.0.1:$P_SC1"
    pair "$i" http_close "$P_HTTP" wrk_close -- "$TESTD" --service http handler=http cl=1000 pl=1 min=1 $SAME "listen=127.0.0.1:$P_HTTP"
    pair "$i" http_keep "$P_HTTP" wrk_keep -- "$TESTD" --service http handler=http cl=1000 pl=1 min=1 $SAME "listen=127.0.0.1:$P_HTTP"
  done
  echo
  echo "== tailored (svcc build) vs hand-written specs (svcc-testd): median of $RUNS interleaved runs, ${SECS}s each"
  printf "%-18s %10s %10s %8s %8s\n" name "rate/s" "cpu_us/c" overflow abort
  for c in banner_sc0 banner_sc1 http_close http_keep; do
    report "tail_$c"
    report "hand_$c"
  done
  echo
  cpu_ratio() { awk -v a="$(awk '{ print $2 }' "$TMP/$1.runs" | median)" -v b="$(awk '{ print $2 }' "$TMP/$2.runs" | median)" 'BEGIN { printf "%.2f", a / b }'; }
  round_ratios() { paste "$TMP/$1.runs" "$TMP/$2.runs" | awk '{ printf "%.2f ", $1 / $5 }'; }
  printf "%-12s %14s %18s   %s\n" case "rate ratio" "cpu/conn ratio" "per-round rate ratios"
  for c in banner_sc0 banner_sc1 http_close http_keep; do
    printf "%-12s %14s %18s   %s\n" "$c" "$(ratio "tail_$c" "hand_$c")" "$(cpu_ratio "tail_$c" "hand_$c")" "$(round_ratios "tail_$c" "hand_$c")"
  done
  echo "(tailored / hand-written; target: rate ratio not below 1.0 beyond the noise)"
  echo "binary sizes: tailored banner_sc0 $(stat -c %s "$TMP/tail_banner_sc0") bytes, svcc-testd $(stat -c %s "$TESTD") bytes"
fi
echo
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
