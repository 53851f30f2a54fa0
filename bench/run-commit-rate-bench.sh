#!/usr/bin/env bash
# Offset-commit rate (consumer-groups issue): THREADS group members, each committing offsets for its
# PER_MEMBER partitions in a loop with commitSync, (members) as one group of THREADS members and (groups) as
# THREADS groups of one member; commits/s, offsets/s and commitSync latency, on each server of TARGETS:
#   standalone  a fresh standalone (offsets in its embedded store)
#   cluster     a fresh local cluster on etcd (`bin/strata cluster up $STRATA_CLUSTER_ARGS`: offsets go
#               groups -> coordination -> etcd)
# io.strata.bench.CommitRateBench (bench/src/main/java) does the committing; each layout is its own run
# (WARMUP_S unmeasured, then DURATION_S measured), with the quiet gate and CPU accounting of lib-bench.sh
# (server CPU = every process of the server; server µs/commit = its CPU / measured commits, warm-up included
# in the CPU, so an upper bound).
#
#   bench/run-commit-rate-bench.sh                                  8 threads, 20 s per layout and server (~4 min)
#   DURATION_S=5 WARMUP_S=2 bench/run-commit-rate-bench.sh          smoke test
#   TARGETS=cluster THREADS="4 16" bench/run-commit-rate-bench.sh
#
# Knobs (environment): TARGETS ("standalone cluster"), THREADS (8; a list runs each), PER_MEMBER (4), MODES
# ("members groups"), WARMUP_S (5), DURATION_S (20), STRATA_CLUSTER_ARGS ("--storage-nodes 3 --ingestion-nodes
# 0"), COMMIT_CONSUMER_PROPS (KEY=VALUE,...), COMMIT_JAVA_OPTS (the bench JVM; -Xmx512M and the perf tools' G1
# flags), STRATA_SERVER_OPTS, STRATA_JAVA_HOME, QUIET_CORES / QUIET_MAX_WAIT, OUT
# (bench/target/commit-rate-bench/<UTC time>).
# Output: a markdown table on stdout and in OUT/summary.md; raw output per run in OUT/raw.
set -euo pipefail
cd "$(dirname "$0")/.."
STRATA_HOME="$(pwd)"

TARGETS="${TARGETS:-standalone cluster}"
THREADS="${THREADS:-8}"
PER_MEMBER="${PER_MEMBER:-4}"
MODES="${MODES:-members groups}"
WARMUP_S="${WARMUP_S:-5}"
DURATION_S="${DURATION_S:-20}"
STRATA_CLUSTER_ARGS="${STRATA_CLUSTER_ARGS:---storage-nodes 3 --ingestion-nodes 0}"
COMMIT_CONSUMER_PROPS="${COMMIT_CONSUMER_PROPS:-}"
OUT="${OUT:-$STRATA_HOME/bench/target/commit-rate-bench/$(date -u +%Y%m%dT%H%M%SZ)}"
# shellcheck source=lib-bench.sh
source "$STRATA_HOME/bench/lib-bench.sh"
COMMIT_JAVA_OPTS="${COMMIT_JAVA_OPTS:--Xmx512M $G1_FLAGS}"

BENCH_JAR="$STRATA_HOME/bench/target/benchmarks.jar"
[[ -f "$BENCH_JAR" ]] || { echo "build first: ./mvnw -pl bench install -DskipTests (no $BENCH_JAR)" >&2; exit 1; }
CLUSTER_DIR=""
CURRENT=""
rep=1

server_down() {
  if [[ "$CURRENT" == standalone ]]; then standalone_down; elif [[ "$CURRENT" == cluster ]]; then cluster_down "$RAW/strata-logs"; fi
  CURRENT=""
}
cleanup() { server_down; rm -rf "$APP"; }
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

snapshot_strata standalone coordination storage replication groups ingestion
cp "$BENCH_JAR" "$APP/benchmarks.jar"
{
  echo "date_utc: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "params: TARGETS='$TARGETS' THREADS='$THREADS' PER_MEMBER=$PER_MEMBER MODES='$MODES' WARMUP_S=$WARMUP_S DURATION_S=$DURATION_S STRATA_CLUSTER_ARGS='$STRATA_CLUSTER_ARGS' COMMIT_CONSUMER_PROPS='$COMMIT_CONSUMER_PROPS'"
  echo "strata_java: $("$STRATA_JAVA" -version 2>&1 | head -1)"
  echo "strata_server_opts (every role): $STRATA_SERVER_OPTS"
  echo "bench_jvm: $COMMIT_JAVA_OPTS"
  echo "strata_jars (copied at start): $(strata_jars_info), bench $(date -u -r "$APP/benchmarks.jar" +%FT%TZ)"
  echo "cpu: $(nproc) x $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "uptime_at_start: $(uptime)"
} > "$OUT/env.txt"
cat "$OUT/env.txt" >&2

ROWS="$OUT/rows.md"
: > "$ROWS"
for target in $TARGETS; do
  case "$target" in
    standalone) standalone_up ;;
    # shellcheck disable=SC2086
    cluster) cluster_up $STRATA_CLUSTER_ARGS; cp "$CLUSTER_DIR/cluster.json" "$OUT/strata-cluster.json" ;;
    *) echo "unknown target '$target' (standalone or cluster)" >&2; exit 2 ;;
  esac
  CURRENT="$target"
  for k in $THREADS; do for mode in $MODES; do
    name="commit_${target}_${mode}_k$k"
    # shellcheck disable=SC2206
    cmd=("$STRATA_JAVA" "${BASE_FLAGS[@]}" $COMMIT_JAVA_OPTS -cp "$APP/benchmarks.jar" io.strata.bench.CommitRateBench
         --bootstrap "$BOOTSTRAP" --threads "$k" --partitions-per-member "$PER_MEMBER" --modes "$mode"
         --warmup-s "$WARMUP_S" --duration-s "$DURATION_S" --label "$target" --consumer-props "$COMMIT_CONSUMER_PROPS")
    run_measured "$name" "${cmd[@]}"
    commits=$(sed -n 's/^RESULT .*"commits":\([0-9]*\).*/\1/p' "$RAW/$name.txt" | head -1)
    us_per_commit=$(awk -v c="${commits:-0}" -v s="$SERVER_CPU" 'BEGIN{print (c > 0) ? sprintf("%.0f", s * 1e6 / c) : "NA"}')
    row_line=$(grep -E "^\| $target \|" "$RAW/$name.txt" | head -1 || true)
    if [[ -z "$row_line" ]]; then
      log "WARN: $name gave no result (see $RAW/$name.txt and .err)"; tail -3 "$RAW/$name.err" >&2 || true
      row_line="| $target | $mode, $k threads: FAILED | | | | | | | |"
    fi
    echo "${row_line} ${SERVER_CPU} | ${us_per_commit} | ${OTHER_CPU} | ${BG} |" >> "$ROWS"
    log "  $target $mode k=$k: $(grep -E '^(standalone|cluster), ' "$RAW/$name.txt" | head -1)  [server ${SERVER_CPU} core-s, others ${OTHER_CPU} core-s during ${WALL}s]"
  done; done
  server_down
done
echo "uptime_at_end: $(uptime)" >> "$OUT/env.txt"

{
  echo "## Offset commits with commitSync: standalone (embedded store) and local cluster (etcd)"
  echo
  echo "Each thread a group member committing its $PER_MEMBER partitions per call in a loop; ${DURATION_S} s measured after ${WARMUP_S} s."
  echo
  echo "| server | layout | offsets per commit | commits/s | offsets/s | commitSync p50 ms | p99 ms | max ms | failed | server CPU core-s | server µs/commit | others' CPU core-s | bg cores before |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  cat "$ROWS"
  echo
  grep -E '^(uptime_at_start|uptime_at_end):' "$OUT/env.txt" | sed 's/^/    /'
} > "$OUT/summary.md"
cat "$OUT/summary.md"
log "done; results in $OUT"
