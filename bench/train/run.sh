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
"$bin" --json train "$spec" --out "$out" --epochs 1 >"$out/tfg.json"
tfg=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["samples_per_s"])' "$out/tfg.json")
batch=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["training"]["batch"])' "$out/tfg.json")
ref=$(/usr/bin/python3 "$root/bench/train/torch_epoch.py" "$out/data/train.bin" "$threads" "$batch")
torch=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["samples_per_s"])' "$ref")
printf 'one epoch of the Fashion-MNIST CNN, %s threads, batch %s\n' "$threads" "$batch"
printf '  tinyforge  %10.0f samples/s\n' "$tfg"
printf '  pytorch    %10.0f samples/s\n' "$torch"
python3 -c 'import sys; print("  ratio      %10.2f x (tinyforge / pytorch; goal >= 1.0)" % (float(sys.argv[1]) / float(sys.argv[2])))' "$tfg" "$torch"
