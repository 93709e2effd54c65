#!/usr/bin/env bash
# bench/ceiling/build.sh [OUTDIR]: builds the C ceiling prototypes from
# ../shared/ceiling beside the repository (or $CEILING) with gcc -O2 into OUTDIR (default
# bench/out/ceiling, git-ignored). The C sources are never copied into the repo.
set -euo pipefail
cd "$(dirname "$0")/../.."
CEILING=${CEILING:-$PWD/../shared/ceiling}
OUT=${1:-bench/out/ceiling}
mkdir -p "$OUT"
for p in single prefork_reuse prefork_once; do
  gcc -O2 -o "$OUT/$p" "$CEILING/$p.c"
done
gcc -O2 -pthread -o "$OUT/connbench" "$CEILING/connbench.c"
echo "$OUT"
