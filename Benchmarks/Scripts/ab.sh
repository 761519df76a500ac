#!/usr/bin/env bash
# Interleaved A/B of two eventbus-bench binaries: RUNS full runs of each, alternating (before,
# after, before, …), each with --json and a fresh --dir under BENCH_DIR (a real disk for the
# durable rows), the load average noted before and after each run; then compare.py prints the
# medians, the ratios to the actor hop and issue 30's targets. Extra arguments go to the bench
# (e.g. --filter mailbox).
#
#   Benchmarks/Scripts/ab.sh BEFORE-BINARY AFTER-BINARY OUT-DIR [RUNS] [bench flags…]
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "usage: $0 BEFORE-BINARY AFTER-BINARY OUT-DIR [RUNS] [bench flags…]" >&2
    exit 2
fi
before=$1 after=$2 out=$3
shift 3
runs=5
if [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+$ ]]; then runs=$1; shift; fi
mkdir -p "$out"
for i in $(seq 1 "$runs"); do
    for side in before after; do
        if [ "$side" = before ]; then binary=$before; else binary=$after; fi
        dir=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/eventbus-ab-XXXXXX")
        echo "$side $i start $(date +%T) load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/load.txt" >&2
        "$binary" --json --dir "$dir" "$@" > "$out/$side-$i.json"
        echo "$side $i end   $(date +%T) load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/load.txt" >&2
        rm -rf "$dir"
    done
done
python3 "$(dirname "$0")/compare.py" "$out"
