#!/usr/bin/env bash
# Log-engine benchmarks with their baseline measured in the same run:
#   1. dd of 1 GiB in 64 KiB blocks into the page cache (no fsync) — the machine's
#      sequential write bandwidth that the append target (>= 70%) is a ratio of;
#   2. JMH: append, sequential read, offset/timestamp lookup across 1..1000 segments.
# Usage: bench/run-log-bench.sh [extra JMH args]   (results in bench/target/results/)
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -d /usr/lib/jvm/temurin-25-jdk-amd64 ]] && export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
JAR=bench/target/benchmarks.jar
[[ -f "$JAR" ]] || ./mvnw -q -B install -DskipTests
OUT=bench/target/results
mkdir -p "$OUT"
BENCH_DIR="${STRATA_BENCH_DIR:-/tmp}"

dd_mib_per_s() {
  local f="$BENCH_DIR/strata-dd-$$"
  local line
  line=$(dd if=/dev/zero of="$f" bs=64k count=16384 2>&1 | tail -n 1)
  rm -f "$f"
  # "1073741824 bytes (1.1 GB, 1.0 GiB) copied, 0.61 s, 1.8 GB/s"
  awk -v l="$line" 'BEGIN { n = split(l, a, ","); split(a[n-1], s, " "); printf "%.0f\n", 1073741824 / s[1] / 1048576 }'
}

echo "dd 1 GiB (64 KiB blocks) into the page cache, 3 runs:"
DD=()
for i in 1 2 3; do DD+=("$(dd_mib_per_s)"); echo "  ${DD[-1]} MiB/s"; done
DD_MEDIAN=$(printf '%s\n' "${DD[@]}" | sort -n | sed -n 2p)
echo "dd median: $DD_MEDIAN MiB/s"

"$JAVA" --sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED -Dstrata.bench.dir="$BENCH_DIR" \
  -jar "$JAR" -rf json -rff "$OUT/jmh.json" "${@:-LogAppendBenchmark|LogReadBenchmark|LookupBenchmark}" | tee "$OUT/jmh.txt"

python3 - "$OUT/jmh.json" "$DD_MEDIAN" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))
dd = float(sys.argv[2])
batch = 64 * 1033 + 61  # 64 records: 2-byte length varint + 1031-byte body (1 KiB value, null key), + 61-byte header
append = read = None
for r in results:
    name = r["benchmark"].split(".")[-2] + "." + r["benchmark"].split(".")[-1]
    score = r["primaryMetric"]["score"]
    if name == "LogAppendBenchmark.append":
        append = 16000 * batch / 1048576 / (score / 1000.0)  # single shot of 16,000 batches, score in ms
        print(f"append: {append:.0f} MiB/s = {append / dd:.2f} x dd ({dd:.0f} MiB/s); target >= 0.70")
    elif name == "LogReadBenchmark.read":
        read = score  # 1 MiB per op
        print(f"sequential read: {read:.0f} MiB/s")
    elif name.startswith("LookupBenchmark"):
        print(f"{name} segments={r['params']['segments']}: {score:.0f} ns/op")
if append and read:
    print(f"read / append = {read / append:.2f}; target >= 1.5")
PY
