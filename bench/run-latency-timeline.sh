#!/usr/bin/env bash
# Latency timeline of saturated `strata perf produce` runs on a standalone: the tool's progress
# windows (records/s, average and max latency per window) merged in time order with the GC pauses
# of the server and of the tool, to see which stall a latency tail waits on (BENCHMARKS.md,
# "Produce path", session 10).
#
#   bench/run-latency-timeline.sh                         p=6 acks=1 none, 2 runs of 5,000,000 records
#   P=1 ACKS=all COMP=lz4 RUNS=3 WINDOW_MS=100 bench/run-latency-timeline.sh
#
# Knobs: P (6), ACKS (1), COMP (none), N (5000000; the first N/5 are warm-up records), RUNS (2),
# WINDOW_MS (250), MIN_PAUSE_MS (10: shorter pauses are left out), SERVER_WARMUP_N (2500000 per
# codec), OUT (bench/target/latency-timeline/<UTC time>). The server and the tool get the
# benchmarks' JVM flags (lib-bench.sh) plus -Xlog:gc,safepoint with UTC times.
# Output: OUT/timeline-<run>.txt (merged, one event per line) and each run's perf result on stdout.
# Which threads had the cores meanwhile: `bench/thread-cpu.py 0.1 120 OUT/threads.txt &` alongside.
set -euo pipefail
cd "$(dirname "$0")/.."
STRATA_HOME="$(pwd)"
P="${P:-6}"; ACKS="${ACKS:-1}"; COMP="${COMP:-none}"; N="${N:-5000000}"; RUNS="${RUNS:-2}"
WINDOW_MS="${WINDOW_MS:-250}"; MIN_PAUSE_MS="${MIN_PAUSE_MS:-10}"; SERVER_WARMUP_N="${SERVER_WARMUP_N:-2500000}"
OUT="${OUT:-$STRATA_HOME/bench/target/latency-timeline/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$OUT"
STRATA_SERVER_OPTS="${STRATA_SERVER_OPTS:--Xms1G -Xmx1G} -Xlog:gc,safepoint:file=$OUT/server-gc.log:utctime"
# shellcheck source=lib-bench.sh
source "$STRATA_HOME/bench/lib-bench.sh"

snapshot_strata standalone
CURRENT=strata; rep=1
standalone_up
trap 'standalone_down; rm -rf "$APP"' EXIT

stamp() { while IFS= read -r line; do printf '%s tool %s\n' "$(date -u +%H:%M:%S.%3N)" "$line"; done; }
# GC log lines "[2026-11-23T07:10:00.123+0000] GC(12) Pause Young ... 60.722ms" -> "07:10:00.123 WHO pause 60.7 ms ..."
pauses() {  # file who
  awk -v who="$2" -v min="$MIN_PAUSE_MS" '/Pause/ && $NF ~ /ms$/ {
      ms = $NF; sub(/ms$/, "", ms); if (ms + 0 < min) next
      t = substr($1, 13, 12); $1 = ""; printf "%s %s GC pause %.1f ms:%s\n", t, who, ms, $0 }' "$1"
}

for c in none lz4; do
  create_topic "warm-$c" "$P"
  strata_cmd; "${CMD[@]}" perf produce --topic "warm-$c" --records "$SERVER_WARMUP_N" --record-size "$RECORD_SIZE" \
    --throughput -1 --acks "$ACKS" --compression "$c" --batch-size "$BATCH_SIZE" --linger-ms "$LINGER_MS" > /dev/null 2>&1
done
for r in $(seq 1 "$RUNS"); do
  create_topic "t$r" "$P"
  strata_cmd "-Xlog:gc,safepoint:file=$OUT/tool-gc-$r.log:utctime"
  echo "$(date -u +%H:%M:%S.%3N) run $r starts" > "$OUT/progress-$r.txt"
  "${CMD[@]}" perf produce --topic "t$r" --records "$N" --record-size "$RECORD_SIZE" --throughput -1 \
    --warmup-records $((N / 5)) --acks "$ACKS" --compression "$COMP" --batch-size "$BATCH_SIZE" \
    --linger-ms "$LINGER_MS" --reporting-interval-ms "$WINDOW_MS" --output json \
    > "$OUT/result-$r.txt" 2> >(stamp >> "$OUT/progress-$r.txt")
  sleep 1
  from=$(head -1 "$OUT/progress-$r.txt" | cut -c1-12); to=$(date -u +%H:%M:%S.%3N)
  { cat "$OUT/progress-$r.txt"; pauses "$OUT/tool-gc-$r.log" tool
    pauses "$OUT/server-gc.log" server | awk -v a="$from" -v b="$to" '$1 >= a && $1 <= b'; } | sort > "$OUT/timeline-$r.txt"
  echo "run $r (p=$P acks=$ACKS $COMP): $(grep '^{' "$OUT/result-$r.txt" | tail -1)"
done
echo "timelines: $OUT/timeline-*.txt"
