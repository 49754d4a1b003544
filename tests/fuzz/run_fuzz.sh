#!/usr/bin/env bash
# run_fuzz.sh FUZZER SECONDS SEED_DIR WORK_DIR: a bounded libFuzzer run from
# the sample streams (or, when SEED_DIR holds *.seed files, from those as
# they are); any finding (crash, sanitizer report, leak) fails.
set -euo pipefail
fuzzer=$1 seconds=$2 seeds=$3 work=$4
rm -rf "$work" && mkdir -p "$work/corpus" "$work/artifacts"
for f in "$seeds"/*.seed; do
    if [ -e "$f" ]; then cp "$f" "$work/corpus/"; fi
done
for f in "$seeds"/*.ptr; do
    [ -e "$f" ] || continue
    # First byte picks the chunk size of the split reads.
    { printf '\x07'; cat "$f"; } > "$work/corpus/$(basename "$f")"
done
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" "$work/corpus" 2>"$work/fuzz.log" || {
    tail -60 "$work/fuzz.log"
    echo "$(basename "$fuzzer" .bin): FINDING (reproducer in $work/artifacts/)"
    exit 1
}
grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$work/fuzz.log" || true
echo "$(basename "$fuzzer" .bin): no findings in ${seconds}s"
