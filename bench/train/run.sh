#!/usr/bin/env bash
# bench/train — one epoch of the Fashion-MNIST CNN (examples/fashion/arch.json) in
# tinyforge and in PyTorch (Debian python3-torch, CPU), same data, batch size, optimizer
# and thread count, in one run. PyTorch runs under Debian's /usr/bin/python3 (its package is for it). Prints samples/s of each and the ratio (goal: >= 1.0).
# A benchmark, not a test: run it by hand (`make bench-train`).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${TFG_BIN:-$root/build/tinyforge}
threads=${THREADS:-$(nproc)}
out=$(mktemp -d /tmp/tfg_bench_train_XXXXXX)
trap 'rm -rf "$out"' EXIT
dpkg-query -W -f='${Status}' python3-torch 2>/dev/null | grep -q 'install ok installed' || {
  echo "bench/train needs Debian's python3-torch: apt-get install python3-torch" >&2; exit 2; }
spec=$root/examples/fashion/spec.json
"$bin" -q data "$spec" --out "$out"
export OPENBLAS_NUM_THREADS=$threads
reps=${REPS:-3}
# Alternate the two, so a busy moment of the machine hits both; report the medians.
tfgs=() torchs=()
for r in $(seq "$reps"); do
  "$bin" --json train "$spec" --out "$out" --epochs 1 --force >"$out/tfg.json"
  tfgs+=("$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["samples_per_s"])' "$out/tfg.json")")
  batch=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["training"]["batch"])' "$out/tfg.json")
  ref=$(/usr/bin/python3 "$root/bench/train/torch_epoch.py" "$out/data/train.bin" "$threads" "$batch")
  torchs+=("$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["samples_per_s"])' "$ref")")
done
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
tfg=$(median "${tfgs[@]}")
torch=$(median "${torchs[@]}")
printf 'one epoch of the Fashion-MNIST CNN, %s threads, batch %s, median of %s runs each\n' "$threads" "$batch" "$reps"
printf '  tinyforge  %10.0f samples/s   (runs: %s)\n' "$tfg" "${tfgs[*]}"
printf '  pytorch    %10.0f samples/s   (runs: %s)\n' "$torch" "${torchs[*]}"
python3 -c 'import sys; print("  ratio      %10.2f x (tinyforge / pytorch; goal >= 1.0)" % (float(sys.argv[1]) / float(sys.argv[2])))' "$tfg" "$torch"
