#!/usr/bin/env bash
# bench/tabular — reference accuracy beside tinyforge's (issue 14): for the public
# tabular data sets Debian's python3-sklearn ships (iris, wine, breast_cancer, digits in
# /usr/lib/python3/dist-packages/sklearn/datasets/data/), tinyforge's float and int8
# test accuracy (data, train, quantize) beside scikit-learn's LogisticRegression,
# MLPClassifier and RandomForestClassifier fitted on the same train split and scored on
# the same test split (the data stage's split files), with the gaps in points and
# whether the issue's targets hold (float within 1 point of the best scikit-learn model,
# int8 within 1 point of float). Prints the table, writes OUT/tabular.json.
# A benchmark, not a test: make bench-tabular, or bench/tabular/run.sh [BUILD_DIR].
# Environment: TABULAR_DATASETS ("iris wine breast_cancer digits"), TABULAR_SEEDS
# ("42 1 2 3 4": each seed its own split and training, then the means; "" runs each
# spec's own seed), TABULAR_OUT (a new temporary directory, kept). Exit code 0 when
# everything ran (a missed target is a MISS in the table); 1 if a data set could not be
# run or scored; 2 if a tool is missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-${BUILD:-$root/build}}
bin=$build/tinyforge
here=$root/bench/tabular
skl=/usr/lib/python3/dist-packages/sklearn/datasets/data
py=/usr/bin/python3 # Debian's: scikit-learn is its package (a pyenv python3 may lack it)
[ -x "$bin" ] || {
  echo "bench/tabular: $bin not found; build first (make build)" >&2; exit 2; }
"$py" -c 'import sklearn' 2>/dev/null || {
  echo "bench/tabular needs Debian's python3-sklearn: apt-get install python3-sklearn" >&2
  exit 2; }
datasets=${TABULAR_DATASETS:-iris wine breast_cancer digits}
out=${TABULAR_OUT:-$(mktemp -d /tmp/tfg_bench_tabular_XXXXXX)}
mkdir -p "$out"
echo "bench/tabular: output in $out"
# The spec each data set runs with: specs/NAME.json read scikit-learn's files as they
# are, with the default training settings (the preamble line of counts and class names
# is detected and skipped). Every spec gets quantization.max_drop 100 so quantize
# reports even a large int8 drop instead of refusing to publish: the bench judges the
# 1-point target itself. Each of TABULAR_SEEDS replaces the spec's seed, which draws
# the split and initialises training: one run directory per data set and seed. One
# split's test rows are few (22 for iris: one row is 4.5 points), so one seed says little.
seeds=${TABULAR_SEEDS-42 1 2 3 4}
setup() { # NAME DIR SEED(or empty)
  local name=$1 dir=$2 seed=$3 template
  mkdir -p "$dir"
  case $name in
    iris | wine | breast_cancer | digits) template=$here/specs/$name.json ;;
    *) echo "bench/tabular: unknown data set '$name'" >&2; return 1 ;;
  esac
  "$py" - "$template" "$dir/spec.json" "$name" "$seed" <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))
spec.setdefault("quantization", {})["max_drop"] = 100
if sys.argv[4]:
    spec["seed"] = int(sys.argv[4])
json.dump(spec, open(sys.argv[2], "w"), indent=2)
json.dump({"dataset": sys.argv[3], "seed": spec.get("seed"), "spec": sys.argv[1]},
          open(sys.argv[2].rsplit("/", 1)[0] + "/bench.json", "w"))
PY
}
ran=() failed=()
for name in $datasets; do
  for seed in ${seeds:-""}; do
    run=$name${seed:+-s$seed}
    dir=$out/$run
    t0=$(date +%s.%N)
    if setup "$name" "$dir" "$seed" &&
       "$bin" -q data "$dir/spec.json" --out "$dir" --force >"$dir/data.log" &&
       "$bin" -q --json train "$dir/spec.json" --out "$dir" --force >"$dir/train.json" &&
       "$bin" -q --json quantize "$dir/spec.json" --out "$dir" --force >"$dir/quantize.json"
    then
      ran+=("$run")
      printf 'bench/tabular: %s: tinyforge data, train, quantize in %.1f s\n' "$run" \
        "$("$py" -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$t0" \
           "$(date +%s.%N)")"
    else
      echo "bench/tabular: $run: not run: its set-up or a tinyforge stage failed" \
        "(see above and $dir)" >&2
      failed+=("$run")
    fi
  done
done
echo
rc=0
[ ${#ran[@]} -eq 0 ] || "$py" "$here/table.py" "$out" "${ran[@]}" || rc=1
[ ${#failed[@]} -eq 0 ] || { echo "bench/tabular: not run: ${failed[*]}" >&2; rc=1; }
exit $rc
