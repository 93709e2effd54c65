#!/usr/bin/env bash
# bench/check.sh: `svcc check` against `doveconf -n` (Dovecot 2.3) on
# generated configs of N = 1000, 2000, 5000 services, and `svcc check` on the
# stock Debian config. Not a test; not run by CI.
#
#   bash bench/check.sh               # ROUNDS=7 SVCC_RUNS=5 by default
#   ROUNDS=11 bash bench/check.sh
#
# Targets (issue 15): at least 50x faster than `doveconf -n` on the
# 5,000-service config measured in the same run, still linear (time at 10,000
# services / time at 5,000 <= 2.1), and <= 1.5 ms on the stock config (read
# it beside the `/bin/true` and `svcc --version` floors of the same run).
#
# Method: builds `cargo build --release --bin svcc` (target/release/svcc),
# generates the configs into a temp dir (17 lines per service, see gen_config)
# and checks that both tools accept them (exit 0). Then ROUNDS rounds; each
# round times every command once, one after the other (interleaved, the order
# reversed every other round), with `hyperfine -N --warmup 1`: doveconf with
# 1 run per round (it takes seconds at N = 5000), svcc with SVCC_RUNS runs per
# round. Reported: medians over all samples, the svcc/doveconf ratio of the
# medians (and the range of the per-round ratios), svcc's time per service at
# each N, and each tool's growth factor from 1000 to 5000 services (5.0 is
# linear, 25 quadratic). `svcc check` on an empty file (svcc's fixed cost:
# start-up plus its built-in defaults) and `svcc --version` (the floor of
# starting the binary at all) are timed too.
#
# Hostile inputs (brace and glob bombs, FIFOs, huge files): bench/hostile-configs.sh.
#
# Needs: cargo, hyperfine, jq, doveconf (Debian: dovecot-core) and the stock
# config /usr/share/dovecot/dovecot.conf (or $STOCK).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
ROUNDS=${ROUNDS:-7}
SVCC_RUNS=${SVCC_RUNS:-5}
SIZES=${SIZES:-"1000 5000 10000"}
DOVECONF=${DOVECONF:-/usr/bin/doveconf}
STOCK=${STOCK:-/usr/share/dovecot/dovecot.conf}
if [ "$ROUNDS" -lt 5 ]; then echo "check.sh: ROUNDS must be >= 5" >&2; exit 2; fi
for tool in cargo hyperfine jq "$DOVECONF"; do
  command -v "$tool" >/dev/null || { echo "check.sh: $tool not found" >&2; exit 2; }
done
[ -r "$STOCK" ] || { echo "check.sh: $STOCK not readable" >&2; exit 2; }

cargo build -q --release --bin svcc
SVCC=$ROOT/target/release/svcc
# Host-independent checks for the generated configs: without these the
# results would depend on this host's somaxconn / RLIMIT_NOFILE.
HOSTFLAGS=(--somaxconn 1000000 --nofile 1000000)

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# ---- configs -------------------------------------------------------------------
# N services of exactly 17 lines each, unique listener names, addresses and ports.
gen_config() { # N FILE
  awk -v n="$1" 'BEGIN {
    for (i = 0; i < n; i++) {
      s = sprintf("s%04d", i)
      printf "service %s {\n", s
      printf "  executable = /usr/lib/dovecot/imap-login\n"
      printf "  client_limit = 100\n"
      printf "  process_limit = 10\n"
      printf "  service_count = 0\n"
      printf "  process_min_avail = 1\n"
      printf "  vsz_limit = 256M\n"
      printf "  idle_kill = 60 secs\n"
      printf "  unix_listener %s {\n", s
      printf "    mode = 0600\n"
      printf "    user = root\n"
      printf "  }\n"
      printf "  inet_listener %s {\n", s
      printf "    address = 127.0.0.1\n"
      printf "    port = %d\n", 20000 + i
      printf "  }\n"
      printf "}\n"
    }
  }' >"$2"
}

for n in $SIZES; do
  f=$TMP/services-$n.conf
  gen_config "$n" "$f"
  lines=$(wc -l <"$f")
  [ "$lines" -eq $((17 * n)) ] || { echo "check.sh: $f has $lines lines" >&2; exit 1; }
  if ! "$DOVECONF" -n -c "$f" >/dev/null 2>"$TMP/doveconf.err"; then
    echo "check.sh: doveconf rejects $f:" >&2; head -5 "$TMP/doveconf.err" >&2; exit 1
  fi
  if ! "$SVCC" check "${HOSTFLAGS[@]}" "$f" 2>"$TMP/svcc.err"; then
    echo "check.sh: svcc check rejects $f:" >&2; tail -5 "$TMP/svcc.err" >&2; exit 1
  fi
  # Every run must be a clean one: no diagnostics to render.
  grep -q "no problems found ($n services" "$TMP/svcc.err" || {
    echo "check.sh: svcc check reports problems on $f:" >&2; tail -3 "$TMP/svcc.err" >&2; exit 1
  }
done
: >"$TMP/empty.conf"
"$SVCC" check "$STOCK" 2>"$TMP/svcc.err" || {
  echo "check.sh: svcc check fails on $STOCK:" >&2; tail -5 "$TMP/svcc.err" >&2; exit 1
}

# ---- benchmark list: KEY|RUNS|COMMAND (run without a shell; output discarded) --
BENCHES=()
for n in $SIZES; do
  BENCHES+=("doveconf_$n|1|$DOVECONF -n -c $TMP/services-$n.conf")
  BENCHES+=("svcc_$n|$SVCC_RUNS|$SVCC check ${HOSTFLAGS[*]} $TMP/services-$n.conf")
done
BENCHES+=("doveconf_stock|$SVCC_RUNS|$DOVECONF -n -c $STOCK")
BENCHES+=("svcc_stock|$SVCC_RUNS|$SVCC check $STOCK")
BENCHES+=("svcc_empty|$SVCC_RUNS|$SVCC check $TMP/empty.conf")
BENCHES+=("svcc_version|$SVCC_RUNS|$SVCC --version")
BENCHES+=("true|$SVCC_RUNS|/bin/true")

run_one() { # ROUND KEY RUNS CMD
  local json=$TMP/$2.r$1.json
  hyperfine -N --style none --warmup 1 --runs "$3" --export-json "$json" "$4" \
    >/dev/null 2>>"$TMP/hyperfine.log"
  # one sample per line, seconds
  jq -r '.results[0].times[]' "$json" >>"$TMP/$2.samples"
  jq -r '.results[0].times | sort | .[length/2|floor]' "$json" >"$TMP/$2.r$1.median"
}

echo "check.sh: $ROUNDS rounds, svcc $SVCC_RUNS runs/round, doveconf 1 run/round (N) ..." >&2
for r in $(seq 1 "$ROUNDS"); do
  if [ $((r % 2)) -eq 1 ]; then idx=$(seq 0 $((${#BENCHES[@]} - 1)));
  else idx=$(seq $((${#BENCHES[@]} - 1)) -1 0); fi
  for i in $idx; do
    IFS='|' read -r key runs cmd <<<"${BENCHES[$i]}"
    run_one "$r" "$key" "$runs" "$cmd"
  done
  echo "  round $r/$ROUNDS done" >&2
done

# ---- report ----------------------------------------------------------------------
median() { sort -g "$1" | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ms() { awk -v s="$1" 'BEGIN { printf "%.2f", s * 1000 }'; }
count() { wc -l <"$TMP/$1.samples" | tr -d ' '; }
# range of per-round ratios A/B: "min–max"
round_ratios() { # A B FMT(ratio|speedup)
  local r a b
  for r in $(seq 1 "$ROUNDS"); do
    a=$(cat "$TMP/$1.r$r.median"); b=$(cat "$TMP/$2.r$r.median")
    awk -v a="$a" -v b="$b" 'BEGIN { print a / b }'
  done | sort -g | awk -v f="$3" 'NR == 1 { lo = $1 } { hi = $1 } END { printf (f == "ratio" ? "%.3f–%.3f" : "%.1f–%.1f"), lo, hi }'
}

declare -A MED
for b in "${BENCHES[@]}"; do key=${b%%|*}; MED[$key]=$(median "$TMP/$key.samples"); done

rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if ! git diff --quiet HEAD -- compiler 2>/dev/null; then rev="$rev + uncommitted changes in compiler/"; fi
echo
echo "svcc built from $rev"
echo "Results ($(date -u +%Y-%m-%d), $(nproc) cores, $(uname -sr); doveconf $("$DOVECONF" -n -c "$STOCK" 2>/dev/null | awk 'NR == 1 { print $2 }'); median of samples):"
echo
echo "| config | doveconf -n (ms) | svcc check (ms) | svcc/doveconf | speedup (per-round range) | svcc µs/service | samples (doveconf/svcc) |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for n in $SIZES; do
  d=${MED[doveconf_$n]}; s=${MED[svcc_$n]}
  ratio=$(awk -v s="$s" -v d="$d" 'BEGIN { printf "%.3f", s / d }')
  speed=$(awk -v s="$s" -v d="$d" 'BEGIN { printf "%.1f×", d / s }')
  per=$(awk -v s="$s" -v n="$n" 'BEGIN { printf "%.1f", s * 1e6 / n }')
  printf "| %s services (%s lines) | %s | %s | %s | %s (%s) | %s | %s/%s |\n" \
    "$n" "$((17 * n))" "$(ms "$d")" "$(ms "$s")" "$ratio" "$speed" \
    "$(round_ratios "doveconf_$n" "svcc_$n" speedup)" "$per" "$(count "doveconf_$n")" "$(count "svcc_$n")"
done
d=${MED[doveconf_stock]}; s=${MED[svcc_stock]}
printf "| stock \`%s\` | %s | %s | %s | %s (%s) | – | %s/%s |\n" "$STOCK" "$(ms "$d")" "$(ms "$s")" \
  "$(awk -v s="$s" -v d="$d" 'BEGIN { printf "%.3f", s / d }')" \
  "$(awk -v s="$s" -v d="$d" 'BEGIN { printf "%.1f×", d / s }')" \
  "$(round_ratios doveconf_stock svcc_stock speedup)" "$(count doveconf_stock)" "$(count svcc_stock)"
printf "| empty file (svcc's fixed cost) | – | %s | – | – | – | –/%s |\n" "$(ms "${MED[svcc_empty]}")" "$(count svcc_empty)"
printf "| \`/bin/true\` (exec floor on this machine) | – | %s | – | – | – | –/%s |\n" "$(ms "${MED[true]}")" "$(count true)"
printf "| \`svcc --version\` (process floor) | – | %s | – | – | – | –/%s |\n" "$(ms "${MED[svcc_version]}")" "$(count svcc_version)"

set -- $SIZES
first=$1; last=${!#}
echo
echo "| growth ${first} → ${last} services (linear = $(awk -v a="$first" -v b="$last" 'BEGIN { printf "%.1f", b / a }')) | doveconf -n | svcc check |"
echo "|---|---:|---:|"
printf "| time(%s) / time(%s) | %s | %s |\n" "$last" "$first" \
  "$(awk -v a="${MED[doveconf_$first]}" -v b="${MED[doveconf_$last]}" 'BEGIN { printf "%.2f", b / a }')" \
  "$(awk -v a="${MED[svcc_$first]}" -v b="${MED[svcc_$last]}" 'BEGIN { printf "%.2f", b / a }')"
printf "| marginal µs/service (%s → %s) | %s | %s |\n" "$first" "$last" \
  "$(awk -v a="${MED[doveconf_$first]}" -v b="${MED[doveconf_$last]}" -v n0="$first" -v n1="$last" 'BEGIN { printf "%.1f", (b - a) * 1e6 / (n1 - n0) }')" \
  "$(awk -v a="${MED[svcc_$first]}" -v b="${MED[svcc_$last]}" -v n0="$first" -v n1="$last" 'BEGIN { printf "%.1f", (b - a) * 1e6 / (n1 - n0) }')"

prev=$(echo $SIZES | awk '{ print $(NF - 1) }')
printf "| time(%s) / time(%s) (linear = %s) | %s | %s |\n" "$last" "$prev" \
  "$(awk -v a="$prev" -v b="$last" 'BEGIN { printf "%.1f", b / a }')" \
  "$(awk -v a="${MED[doveconf_$prev]}" -v b="${MED[doveconf_$last]}" 'BEGIN { printf "%.2f", b / a }')" \
  "$(awk -v a="${MED[svcc_$prev]}" -v b="${MED[svcc_$last]}" 'BEGIN { printf "%.2f", b / a }')"

echo
st=${MED[svcc_stock]}
if [ -n "${MED[svcc_5000]:-}" ]; then
  awk -v s="${MED[svcc_5000]}" -v d="${MED[doveconf_5000]}" 'BEGIN { printf "target: >= 50x faster than doveconf -n at 5000 services: %.1fx -> %s\n", d / s, (d / s >= 50) ? "met" : "MISSED" }'
fi
awk -v a="${MED[svcc_$prev]}" -v b="${MED[svcc_$last]}" -v n0="$prev" -v n1="$last" 'BEGIN { r = b / a; lim = 1.05 * n1 / n0; printf "target: linear, time(%s)/time(%s) <= %.2f: %.2f -> %s\n", n1, n0, lim, r, (r <= lim) ? "met" : "MISSED" }'
awk -v s="$st" 'BEGIN { printf "target: stock config <= 1.5 ms: %.2f ms -> %s\n", s * 1000, (s <= 0.0015) ? "met" : "MISSED" }'
