#!/usr/bin/env bash
# run.sh — runs one libFuzzer target for a fixed time, as the ctest test fuzz.<name>.
#
# usage: run.sh BIN SEEDS_DIR CORPUS_DIR SECONDS
# The corpus starts fresh from the seeds each time, so a run is reproducible from the
# repository alone. Exits with libFuzzer's own code: non-zero on any finding (crash,
# leak, sanitizer report, timeout, out-of-memory); the input that caused it is kept
# in CORPUS_DIR.artifacts/. Prints the number of executions either way.
set -u
if [ $# -ne 4 ]; then
    echo "usage: $0 BIN SEEDS_DIR CORPUS_DIR SECONDS" >&2
    exit 2
fi
bin=$1 seeds=$2 corpus=$3 secs=$4
name=$(basename "$bin")
artifacts="$corpus.artifacts"
rm -rf "$corpus" "$artifacts"
mkdir -p "$corpus" "$artifacts" || exit 2
if [ -d "$seeds" ]; then
    cp "$seeds"/* "$corpus"/ 2>/dev/null || true
fi
# Inputs up to 4 KiB, or past the largest seed: libFuzzer cuts every input to -max_len,
# seeds included, so a smaller bound would fuzz only the first 4 KiB of the TFLite
# seeds (54 KB and 277 KB models) and never reach their tensors and buffers.
largest=$(find "$corpus" -type f -printf '%s\n' | sort -n | tail -n 1)
max_len=4096
if [ "${largest:-0}" -ge "$max_len" ]; then
    max_len=$((largest + 4096))
fi
log="$corpus.log"
"$bin" "$corpus" -max_total_time="$secs" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1
rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
if [ "$rc" -ne 0 ]; then
    tail -n 60 "$log"
    echo "fuzz: $name: FINDING (exit code $rc) after ${execs:-?} executions; inputs in $artifacts, log in $log"
    exit "$rc"
fi
echo "fuzz: $name: ${execs:-?} executions in $secs s (inputs up to $max_len bytes)," \
    "no findings (corpus: $(ls "$corpus" | wc -l) inputs)"
exit 0
