#!/usr/bin/env bash
# Producer memory under sustained overload: does the Java producer stay within buffer.memory?
#
# A standalone Strata on a free port; `strata perf produce --throughput -1` sends N records of
# RECORD_SIZE bytes to a 6-partition topic as client id memory-bench, which has a producer quota of
# QUOTA bytes/s (`strata quota set`): the server takes records far slower than the tool makes them,
# so the producer's buffer stays full for the whole run (send() blocks on buffer memory; the p50
# latency shows the queue). Once per buffer.memory in BUFFERS (MiB), the perf JVM runs with a heap cap of
# buffer.memory + HEADROOM MiB (an OutOfMemoryError would fail the run), and every SAMPLE_S seconds
# `jcmd GC.class_histogram` (a full GC, then the live objects) measures what it holds: the largest
# sample is reported. The smallest buffer's run gives the fixed overhead of the JVM and the tool
# (latency histogram, gRPC, classes); the rest must follow buffer.memory, not the run's length.
#
#   bench/run-producer-memory-bench.sh                       BUFFERS="1 32 128" N=2000000 QUOTA=8 MiB/s
#   BUFFERS="8 64" N=2000000 bench/run-producer-memory-bench.sh
#   QUEUE_MAX_DELAY_MS=10 bench/run-producer-memory-bench.sh      the producer's default queue limit
#
# QUEUE_MAX_DELAY_MS (default 0) is the producer's queue.max.delay.ms: 0 lets the queue fill
# buffer.memory, the case whose bound this bench checks; with the producer's default (10) the queue
# stays at about 10 ms of sending above the pipeline's latency, far below buffer.memory.
#
# Output: a markdown table on stdout and in OUT/summary.md; the tool output and JFR files in OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
STRATA_HOME="$(pwd)"

BUFFERS="${BUFFERS:-1 32 128}"
N="${N:-2000000}"
QUOTA="${QUOTA:-8388608}"
RECORD_SIZE="${RECORD_SIZE:-100}"
PARTITIONS="${PARTITIONS:-6}"
HEADROOM="${HEADROOM:-64}"
COMPRESSION="${COMPRESSION:-lz4}"
SAMPLE_S="${SAMPLE_S:-2}"
QUEUE_MAX_DELAY_MS="${QUEUE_MAX_DELAY_MS:-0}"
OUT="${OUT:-$STRATA_HOME/bench/target/producer-memory/$(date -u +%Y%m%dT%H%M%SZ)}"
JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
JCMD="$JAVA_HOME/bin/jcmd"

mkdir -p "$OUT"
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BOOTSTRAP="127.0.0.1:$PORT"
DATA="$OUT/data"
log "standalone on $BOOTSTRAP, data in $DATA"
JAVA_HOME="$JAVA_HOME" bin/strata standalone --data-dir "$DATA" --port "$PORT" > "$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill -9 $SERVER 2>/dev/null || true; rm -rf "$DATA"' EXIT
for _ in $(seq 1 120); do
  grep -q "Strata standalone ready" "$OUT/server.log" && break
  kill -0 $SERVER 2>/dev/null || { cat "$OUT/server.log" >&2; exit 1; }
  sleep 1
done

bin/strata quota set --client-id memory-bench --producer-byte-rate "$QUOTA" --bootstrap "$BOOTSTRAP" > /dev/null

{
  echo "| buffer.memory | perf JVM heap cap | max live heap (samples) | above the 1st row | records/s | p50 ms (time queued) | p99 ms |"
  echo "|---|---|---|---|---|---|---|"
} > "$OUT/summary.md"
BASE=""
for mib in $BUFFERS; do
  topic="mem-$mib"
  bin/strata topic create "$topic" --partitions "$PARTITIONS" --bootstrap "$BOOTSTRAP" > /dev/null
  xmx=$((mib + HEADROOM))
  log "buffer.memory=${mib} MiB, -Xmx${xmx}m, $N records"
  STRATA_CLI_JAVA_OPTS="-Xmx${xmx}m -XX:+ExitOnOutOfMemoryError" \
    bin/strata perf produce --topic "$topic" --records "$N" --record-size "$RECORD_SIZE" --throughput -1 \
    --compression "$COMPRESSION" --client-id memory-bench --producer-props "buffer.memory=$((mib * 1024 * 1024))" "queue.max.delay.ms=$QUEUE_MAX_DELAY_MS" \
    --bootstrap "$BOOTSTRAP" --reporting-interval-ms 10000 --output json > "$OUT/perf-$mib.txt" 2> "$OUT/perf-$mib.err" &
  perf=$!   # bin/strata execs the JVM: this is its pid
  samples=0; maxlive=0
  sleep "$SAMPLE_S"
  while kill -0 "$perf" 2>/dev/null; do
    live=$("$JCMD" "$perf" GC.class_histogram 2>/dev/null | awk '/^Total/ { print $3 }' || true)
    if [[ -n "$live" ]]; then
      samples=$((samples + 1)); (( live > maxlive )) && maxlive=$live
    fi
    sleep "$SAMPLE_S"
  done
  wait "$perf" || { log "perf failed (exit $?): see $OUT/perf-$mib.err"; exit 1; }
  maxafter=$(awk -v b="$maxlive" 'BEGIN { printf "%.1f", b / 1048576 }')
  result=$(grep '^{' "$OUT/perf-$mib.txt" | tail -1)
  rate=$(sed -E 's/.*"records_per_sec": ([0-9.]+).*/\1/' <<< "$result")
  p50=$(sed -E 's/.*"p50": ([0-9.]+).*/\1/' <<< "$result")
  p99=$(sed -E 's/.*"p99": ([0-9.]+).*/\1/' <<< "$result")
  [[ -n "$BASE" ]] || BASE="$maxafter"
  above=$(awk -v a="$maxafter" -v b="$BASE" 'BEGIN { printf "%.1f", a - b }')
  echo "| ${mib} MiB | ${xmx} MiB | ${maxafter} MiB (${samples}) | ${above} MiB | ${rate} | ${p50} | ${p99} |" >> "$OUT/summary.md"
  log "  max live heap ${maxafter} MiB over ${samples} samples; ${rate} records/s; p50 ${p50} ms"
done
{
  echo
  echo "N=$N RECORD_SIZE=$RECORD_SIZE QUEUE_MAX_DELAY_MS=$QUEUE_MAX_DELAY_MS PARTITIONS=$PARTITIONS COMPRESSION=$COMPRESSION QUOTA=$QUOTA B/s HEADROOM=$HEADROOM; $(nproc) cores; $(uptime)"
} >> "$OUT/summary.md"
cat "$OUT/summary.md"
log "done; results in $OUT"
