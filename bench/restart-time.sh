#!/usr/bin/env bash
# Restart time after kill -9 must not grow with the log: fill a standalone's partition with
# 1 GiB and with 10 GiB (through the real produce path), kill -9 it, restart it and time until
# it prints its ready line. Needs ~12 GiB free under STRATA_BENCH_DIR (default /tmp).
# Usage: bench/restart-time.sh [SIZES_GIB...]   (default: 1 10)
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -d /usr/lib/jvm/temurin-25-jdk-amd64 ]] && export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
[[ -f bench/target/benchmarks.jar ]] || ./mvnw -q -B install -DskipTests
BENCH_DIR="${STRATA_BENCH_DIR:-/tmp}"
SIZES=("${@:-1 10}")
read -r -a SIZES <<< "${SIZES[*]}"
PORT=19392

start_and_time() {  # data dir -> sets ELAPSED (seconds until the ready line) and PID
  local dir=$1 start end
  start=$(date +%s.%N)
  bin/strata standalone --data-dir "$dir" --port $PORT --http-port 0 > "$dir.out" 2> "$dir.err" &
  PID=$!
  for _ in $(seq 1 1200); do
    grep -q ready "$dir.out" 2>/dev/null && break
    sleep 0.05
  done
  end=$(date +%s.%N)
  grep -q ready "$dir.out" || { echo "standalone did not become ready; see $dir.err" >&2; exit 1; }
  ELAPSED=$(echo "$end - $start" | bc)
}

declare -A RESULT
for gib in "${SIZES[@]}"; do
  dir="$BENCH_DIR/strata-restart-$gib"
  rm -rf "$dir" "$dir.out" "$dir.err"
  start_and_time "$dir"
  bin/strata --bootstrap 127.0.0.1:$PORT topic create fill --partitions 1 > /dev/null
  sleep 1
  "$JAVA" --sun-misc-unsafe-memory-access=allow -cp bench/target/benchmarks.jar io.strata.bench.FillPartition 127.0.0.1:$PORT fill "$gib"
  sleep 5   # let the background fsync of rolled segments move the recovery point, as in steady state
  kill -9 "$PID"; wait "$PID" 2>/dev/null || true
  times=()
  for rep in 1 2 3; do
    start_and_time "$dir"
    times+=("$ELAPSED")
    kill -9 "$PID"; wait "$PID" 2>/dev/null || true
  done
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 2p)
  RESULT[$gib]=$median
  echo "log of $gib GiB: time to ready after kill -9: ${times[*]} s (median $median s)"
  grep -h "recovered" "$dir.err" | tail -n 1 || true
  rm -rf "$dir" "$dir.out" "$dir.err"
done
if [[ ${#SIZES[@]} -ge 2 ]]; then
  a=${RESULT[${SIZES[0]}]}; b=${RESULT[${SIZES[-1]}]}
  echo "ratio ${SIZES[-1]} GiB / ${SIZES[0]} GiB = $(echo "scale=2; $b / $a" | bc); target <= 1.5"
fi
