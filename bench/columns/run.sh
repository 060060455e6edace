#!/usr/bin/env bash
# bench/columns — how the data stage's time grows with the number of columns (issue 22:
# column-name lookup walked every name, so 10,000 columns took 6 s and doubling them
# quadrupled it). Each table has 30 rows of one-digit readings and a two-class label;
# `tinyforge data` profiles, plans, cleans, splits and writes it. Prints the best of 3
# runs per column count and, against 1,000 columns measured in the same run,
# growth = (time ratio) / (column ratio): 1 is linear, a quadratic path doubles it with
# each doubling of columns. The goal: growth <= 1.5 at 40,000 columns.
# A benchmark, not a test: `make bench-columns`, or `bench/columns/run.sh [BUILD_DIR]`
# (BUILD_DIR defaults to build/).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-${BUILD:-$root/build}}
bin=$build/tinyforge
[ -x "$bin" ] || {
  echo "bench/columns: $bin not found; build first (make build)" >&2; exit 2; }
out=$(mktemp -d /tmp/tfg_bench_columns_XXXXXX)
trap 'rm -rf "$out"' EXIT
counts=(${TFG_BENCH_COLUMNS:-1000 5000 10000 20000 40000})
for n in "${counts[@]}"; do
  # short names (c + base 36) keep 40,000 of them within the CSV reader's record limit
  python3 - "$n" "$out/c$n.csv" <<'PY'
import random, sys
n, path = int(sys.argv[1]), sys.argv[2]
def b36(i):
    s = ""
    while True:
        s = "0123456789abcdefghijklmnopqrstuvwxyz"[i % 36] + s
        i //= 36
        if not i:
            return s
rng = random.Random(1)
with open(path, "w") as f:
    f.write(",".join("c" + b36(i) for i in range(n)) + ",label\n")
    for r in range(30):
        f.write(",".join(str(rng.randrange(10)) for _ in range(n)) + "," + "ab"[r % 2] + "\n")
PY
  printf '{"name": "c%s", "task": "classification", "board": "arduino_nano_33_ble_sense", '\
'"data": {"sources": [{"path": "c%s.csv"}], "label": "label"}, "seed": 1}\n' "$n" "$n" \
    >"$out/c$n.json"
done
best() { # best of 3 wall-clock seconds of `tinyforge data` on n columns
  local n=$1 b=
  for _ in 1 2 3; do
    rm -rf "$out/run$n"
    local t0 t1
    t0=$(date +%s.%N)
    "$bin" -q data "$out/c$n.json" --out "$out/run$n" >/dev/null
    t1=$(date +%s.%N)
    b=$(awk -v a="$t0" -v z="$t1" -v b="$b" \
      'BEGIN {d = z - a; print (b == "" || d < b) ? d : b}')
  done
  echo "$b"
}
printf '%8s %10s %12s %8s\n' columns seconds us/column growth
ref_n=${counts[0]}
ref_t=$(best "$ref_n")
for n in "${counts[@]}"; do
  t=$([ "$n" = "$ref_n" ] && echo "$ref_t" || best "$n")
  awk -v n="$n" -v t="$t" -v rn="$ref_n" -v rt="$ref_t" \
    'BEGIN {printf "%8d %10.3f %12.1f %7.2fx\n", n, t, 1e6 * t / n, (t / rt) / (n / rn)}'
done
echo "seconds = best of 3 runs of \`tinyforge data\` (30 rows); growth = (seconds / seconds"
echo "at $ref_n columns) / (columns / $ref_n): 1 is linear; a quadratic path doubles it with"
echo "each doubling of the columns."
