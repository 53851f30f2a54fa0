#!/usr/bin/env bash
# Rebalance benchmark (consumer-groups issue): a group of MEMBERS consumers over a topic of PARTITIONS
# partitions with a background producer writing RATE records/s; ROUNDS times a member is added (odd rounds)
# or removed again (even rounds). io.strata.bench.RebalanceBench (bench/src/main/java) runs every member
# as a StrataConsumer on its own thread in one JVM and measures per round: the time from the new member's
# subscribe() (or the leaving member's close()) until the group is settled (ListGroups: stable with the
# expected members; every partition owned by exactly one member; the new member owns its share and has
# received a record), the longest gap between records of the members whose assignment did not change
# (against their normal gap over BASELINE_MS before the change), and how many partitions moved.
# Target: settled < 2 s (p50 and max).
#
# The server: a fresh standalone from a copy of the built jars (TARGET=standalone, default), a fresh local
# cluster (TARGET=cluster: `bin/strata cluster up $STRATA_CLUSTER_ARGS`), or one already running
# (BOOTSTRAP=host:port: nothing is started or stopped).
#
#   bench/run-rebalance-bench.sh                                       100 members, 1,000 partitions, 10 rounds (~3 min)
#   MEMBERS=20 PARTITIONS=200 ROUNDS=2 bench/run-rebalance-bench.sh    smoke test (~1 min)
#   BOOTSTRAP=127.0.0.1:9092 bench/run-rebalance-bench.sh              against `bin/strata standalone`
#   TARGET=cluster bench/run-rebalance-bench.sh
#
# Knobs (environment): MEMBERS (100), PARTITIONS (1000), ROUNDS (10), RATE (2000 records/s over all
# partitions), RECORD_SIZE (100), BASELINE_MS (3000), PAUSE_MS (2000), TARGET_MS (2000), TARGET (standalone |
# cluster), BOOTSTRAP (a running server), STRATA_CLUSTER_ARGS ("--storage-nodes 3 --ingestion-nodes 0"),
# REBALANCE_CONSUMER_PROPS / REBALANCE_PRODUCER_PROPS (KEY=VALUE,... for every member / the producer),
# REBALANCE_JAVA_OPTS (the bench JVM: -Xmx1G plus the perf tools' G1 flags), STRATA_SERVER_OPTS,
# STRATA_JAVA_HOME, QUIET_CORES / QUIET_MAX_WAIT (one quiet gate before the run), TOOL_TIMEOUT (1800 s),
# OUT (bench/target/rebalance-bench/<UTC time>).
# Output: per-round lines and a markdown table on stdout, in OUT/rebalance.txt and OUT/summary.md; the
# server's log lines about groups (WARN and above, and the groups role's) in OUT/groups-log.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
STRATA_HOME="$(pwd)"

MEMBERS="${MEMBERS:-100}"
PARTITIONS="${PARTITIONS:-1000}"
ROUNDS="${ROUNDS:-10}"
RATE="${RATE:-2000}"
BASELINE_MS="${BASELINE_MS:-3000}"
PAUSE_MS="${PAUSE_MS:-2000}"
TARGET_MS="${TARGET_MS:-2000}"
TARGET="${TARGET:-standalone}"
EXTERNAL_BOOTSTRAP="${BOOTSTRAP:-}"
STRATA_CLUSTER_ARGS="${STRATA_CLUSTER_ARGS:---storage-nodes 3 --ingestion-nodes 0}"
REBALANCE_CONSUMER_PROPS="${REBALANCE_CONSUMER_PROPS:-}"
REBALANCE_PRODUCER_PROPS="${REBALANCE_PRODUCER_PROPS:-}"
: "${TOOL_TIMEOUT:=1800}"
OUT="${OUT:-$STRATA_HOME/bench/target/rebalance-bench/$(date -u +%Y%m%dT%H%M%SZ)}"
# shellcheck source=lib-bench.sh
source "$STRATA_HOME/bench/lib-bench.sh"
REBALANCE_JAVA_OPTS="${REBALANCE_JAVA_OPTS:--Xmx1G $G1_FLAGS}"
case "$TARGET" in standalone|cluster) ;; *) echo "TARGET is standalone or cluster" >&2; exit 2;; esac

BENCH_JAR="$STRATA_HOME/bench/target/benchmarks.jar"
[[ -f "$BENCH_JAR" ]] || { echo "build first: ./mvnw -pl bench install -DskipTests (no $BENCH_JAR)" >&2; exit 1; }
CLUSTER_DIR=""
rep=1

cleanup() {
  if [[ -z "$EXTERNAL_BOOTSTRAP" ]]; then
    if [[ "$TARGET" == standalone ]]; then standalone_down; else cluster_down "$RAW/strata-logs"; fi
  fi
  rm -rf "$APP"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

if [[ -n "$EXTERNAL_BOOTSTRAP" ]]; then
  mkdir -p "$APP"; server="running server $EXTERNAL_BOOTSTRAP"
elif [[ "$TARGET" == standalone ]]; then
  snapshot_strata standalone; server="fresh standalone"
else
  snapshot_strata coordination storage replication groups ingestion; server="fresh local cluster ($STRATA_CLUSTER_ARGS)"
fi
cp "$BENCH_JAR" "$APP/benchmarks.jar"
{
  echo "date_utc: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "params: MEMBERS=$MEMBERS PARTITIONS=$PARTITIONS ROUNDS=$ROUNDS RATE=$RATE RECORD_SIZE=$RECORD_SIZE BASELINE_MS=$BASELINE_MS PAUSE_MS=$PAUSE_MS TARGET_MS=$TARGET_MS server='$server' REBALANCE_CONSUMER_PROPS='$REBALANCE_CONSUMER_PROPS' REBALANCE_PRODUCER_PROPS='$REBALANCE_PRODUCER_PROPS'"
  echo "strata_java: $("$STRATA_JAVA" -version 2>&1 | head -1)"
  echo "strata_server_opts: $STRATA_SERVER_OPTS"
  echo "bench_jvm: $REBALANCE_JAVA_OPTS"
  [[ -z "$EXTERNAL_BOOTSTRAP" ]] && echo "strata_jars (copied at start): $(strata_jars_info), bench $(date -u -r "$APP/benchmarks.jar" +%FT%TZ)"
  echo "cpu: $(nproc) x $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "uptime_at_start: $(uptime)"
} > "$OUT/env.txt"
cat "$OUT/env.txt" >&2

if [[ -n "$EXTERNAL_BOOTSTRAP" ]]; then
  BOOTSTRAP="$EXTERNAL_BOOTSTRAP"; SERVER_PIDS=""
elif [[ "$TARGET" == standalone ]]; then
  standalone_up
else
  # shellcheck disable=SC2086
  cluster_up $STRATA_CLUSTER_ARGS
  cp "$CLUSTER_DIR/cluster.json" "$OUT/strata-cluster.json"
fi

# shellcheck disable=SC2206
cmd=("$STRATA_JAVA" "${BASE_FLAGS[@]}" $REBALANCE_JAVA_OPTS -cp "$APP/benchmarks.jar" io.strata.bench.RebalanceBench
     --bootstrap "$BOOTSTRAP" --partitions "$PARTITIONS" --members "$MEMBERS" --rounds "$ROUNDS" --rate "$RATE"
     --record-size "$RECORD_SIZE" --baseline-ms "$BASELINE_MS" --pause-ms "$PAUSE_MS" --target-ms "$TARGET_MS"
     --consumer-props "$REBALANCE_CONSUMER_PROPS" --producer-props "$REBALANCE_PRODUCER_PROPS")
log "RebalanceBench: $MEMBERS members, $PARTITIONS partitions, $ROUNDS rounds, $RATE records/s on $BOOTSTRAP ($server)"
run_measured rebalance "${cmd[@]}"
cp "$RAW/rebalance.txt" "$OUT/rebalance.txt"
echo "uptime_at_end: $(uptime)" >> "$OUT/env.txt"

# the server's log lines about groups: everything the groups role logged, and every WARN/ERROR
if [[ -z "$EXTERNAL_BOOTSTRAP" && "$TARGET" == standalone ]]; then
  grep -aE 'io\.strata\.groups|WARN|ERROR' "$RAW/standalone-r1.log" > "$OUT/groups-log.txt" || true
fi

{
  echo "## Rebalance: $MEMBERS -> $((MEMBERS + 1)) members over $PARTITIONS partitions ($server)"
  echo
  grep -E '^(bootstrap|formed|resources)' "$OUT/rebalance.txt" | sed 's/^/    /'
  echo
  sed -n '/^| change/,/^$/p' "$OUT/rebalance.txt"
  sed -n '/^settled = /p' "$OUT/rebalance.txt"
  echo
  echo "Per round:"
  echo
  grep -E '^round ' "$OUT/rebalance.txt" | sed 's/^/    /'
  echo
  server_cpu="${SERVER_CPU} core-s"; [[ -n "$EXTERNAL_BOOTSTRAP" ]] && server_cpu="not measured (a running server)"
  echo "Bench JVM: wall ${WALL} s, CPU ${TOOL_CPU} core-s; server CPU ${server_cpu}; others ${OTHER_CPU} core-s (load average at start ${LOADAVG})."
  grep -E '^(uptime_at_start|uptime_at_end):' "$OUT/env.txt" | sed 's/^/    /'
} > "$OUT/summary.md"
cat "$OUT/summary.md"
log "done; results in $OUT"
