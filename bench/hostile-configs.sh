#!/usr/bin/env bash
# bench/hostile-configs.sh: `svcc check` on hostile configs (issue 8, "bounded work,
# no panic, no hang, on any input"), every format. Not a test; not run by CI.
#
#   bash bench/hostile-configs.sh                  # svcc from target/release
#   SVCC=/path/to/old/svcc bash bench/hostile-configs.sh   # e.g. a build of an older commit
#
# Each config is checked RUNS times (default 3) per format with `timeout
# $LIMIT` (default 60 s); reported: the median wall time and the largest peak
# RSS (GNU time), or TIMEOUT / the exit status of a crash. Output goes to /dev/null. The FIFO, /proc and /dev cases are only
# run when NASTY=1: an svcc without the regular-file check blocks on them,
# and as root it reads /proc/kmsg (consuming the kernel log) or opens every
# device under /dev.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
LIMIT=${LIMIT:-60}
RUNS=${RUNS:-3}
if [ -z "${SVCC:-}" ]; then
  cargo build -q --release --bin svcc
  SVCC=$ROOT/target/release/svcc
fi
command -v /usr/bin/time >/dev/null || { echo "hostile.sh: GNU time (/usr/bin/time) not found" >&2; exit 2; }
# shellcheck source=lib.sh
. "$ROOT/bench/lib.sh"

python3 - "$TMP" <<'PY'
import os, random, sys
d = sys.argv[1]
def w(name, text):
    with open(os.path.join(d, name), "w") as f:
        f.write(text)
w("braces24.conf", "!include_try /nonexistent/" + "x{a,b}" * 24 + "\n")
w("brace-groups.conf", "!include_try /nonexistent/" + "{a}" * 30000 + "\n")
w("brace-deep.conf", "!include_try /x/" + "{" * 1000000 + "y" + "}" * 1000000 + "\n")
w("glob-root.conf", "!include_try /*/*/*/*/*/*\n")
w("vars31.conf", "x = a\n" + "x = $x $x\n" * 31)
w("errors40k.conf", "k v\n" * 40000)
random.seed(1)
w("garbage2m.conf", "".join(random.choice("abc {}=#$!\\\"' \t\n") for _ in range(2 << 20)))
w("chain10k.conf", "".join(f"k{i} = $zz{i}\n" for i in range(10000)))
w("col70k.conf", "x = " + "a" * 70000 + " $nope\n")
w("valid16m.conf", "a = 1\n" * ((16 << 20) // 6 - 1))
w("garbage16m.conf", "k v\n" * ((4 << 20) - 1))
w("vars16m.conf", "".join(f"k{i} = $zz{i}\n" for i in range(1000000))[: (16 << 20) - 100])
w("line16m.conf", "x = " + "$a " * (5 << 20) + "\n")
N = 16 << 20
def fill(unit):
    return unit * (N // len(unit) - 1)
def upto(text, cut):  # the longest prefix under 16 MiB that ends before `cut`
    return text[: N - 300].rsplit(cut, 1)[0]
w("comment16m.conf", fill("key = value # a comment\n"))
w("quoted16m.conf", fill('key = "a \\" b"\n'))
w("cont16m.conf", fill("k = a \\\n  b\n"))
w("close16m.conf", fill("}\n"))
w("svc16m.conf", upto("".join(f"service s{i} {{\n  client_limit = 1\n  inet_listener l {{\n    port = {i % 60000 + 1}\n  }}\n}}\n" for i in range(300000)), "service"))
w("addr16m.conf", upto("".join(f"service s{i} {{\n  inet_listener l {{\n    address = 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}\n    port = 143\n  }}\n}}\n" for i in range(250000)), "service"))
w("listeners16m.conf", "service x {\n" + upto("".join(f"  unix_listener l{i} {{\n  }}\n" for i in range(600000)), "  unix") + "}\n")
# Found by a hostile-input probe (quotes that never close, NULs, includes,
# word-final backslashes, huge tokens echoed in messages):
w("quote-escapes16m.conf", "a = " + "\"\\" * (N // 2 - 100) + "\n")
w("quotes16m.conf", "a = " + "\"" * (N - 100) + "\n")
w("open-quotes16m.conf", "a = \"\n" * (N // 6))
w("nul16m.conf", "\0" * (N - 10))
w("self-include.conf", "protocols = imap\n" + "!include self-include.conf\n" * 262144)
w("include-try.conf", "protocols = imap\n" + "!include_try nope.conf\n" * 262144)
w("backslash-words16m.conf", "protocols = imap\n" + "a\\\n" * (N // 3 - 10))
w("hash-after16m.conf", "protocols = imap\n" + "a=b#\n" * 3355000)
w("huge-path.conf", "protocols = imap\nssl_cert = <" + "a/" * ((8 << 20) - 40))
w("conflicts16m.conf", "protocols = imap\nservice x {\n" + "".join(f"inet_listener l{i} {{\nport = {i % 65535 + 1}\n}}\n" for i in range(400000)) + "}\n")
os.mkfifo(os.path.join(d, "fifo.conf"))
w("fifo-include.conf", "!include fifo.conf\n")
w("proc.conf", "!include_try /proc/*\n")
w("dev.conf", "!include_try /dev/*\n")
PY

CASES="braces24 brace-groups brace-deep glob-root vars31 errors40k garbage2m chain10k col70k valid16m garbage16m vars16m line16m comment16m quoted16m cont16m close16m svc16m addr16m listeners16m quote-escapes16m quotes16m open-quotes16m nul16m self-include include-try backslash-words16m hash-after16m huge-path conflicts16m"
[ "${NASTY:-0}" = 1 ] && CASES="$CASES fifo-include proc dev"
printf '%-14s %-24s %-24s %-24s\n' config human short json
for c in $CASES; do
  row=$(printf '%-14s' "$c")
  for fmt in human short json; do
    : > "$TMP/times"
    cell=
    for _ in $(seq "$RUNS"); do
      set +e
      /usr/bin/time -f '%e %M' -o "$TMP/time" timeout "$LIMIT" "$SVCC" check --format "$fmt" "$TMP/$c.conf" >/dev/null 2>&1
      rc=$?
      set -e
      if [ "$rc" = 124 ]; then cell="TIMEOUT (>${LIMIT} s)"; break
      elif [ "$rc" -gt 2 ]; then cell="crash (status $rc)"; break
      fi
      tail -1 "$TMP/time" >> "$TMP/times"
    done
    # The median wall time of RUNS runs, and the largest peak RSS.
    [ -n "$cell" ] || cell=$(sort -n "$TMP/times" | awk '{ t[NR] = $1; if ($2 > m) m = $2 }
      END { printf "%.2f s, %d MiB", t[int((NR + 1) / 2)], m / 1024 }')
    row="$row $(printf '%-24s' "$cell")"
  done
  echo "$row"
done
