#!/usr/bin/env bash
# Replicated produce benchmark: Strata (a local cluster with three storage nodes, `bin/strata cluster up`)
# and Apache Kafka (three KRaft brokers, bench/kafka-cluster.sh) side by side, in one invocation on this
# machine. Topics have replication factor 3 and min.insync.replicas 2 on both (checked with describe
# before every run); the producer uses acks=all:
#   (r) N x RECORD_SIZE B, --throughput -1, --warmup-records W, batch.size=65536 linger.ms=5, acks=all,
#       partitions in PARTS x compression in COMPS (default 1 6 / none lz4); Strata with
#       `bin/strata perf produce --acks all --output json`, Kafka with its ProducerPerformance, bootstrap
#       = all three brokers.
# Targets (replication issue): Strata records/s >= 1.0x Kafka's, and p99 <= Kafka's, in the same run.
# Per repetition and system: a fresh cluster (Strata: `cluster up` in a temp dir, from a copy of the built
# jars; Kafka: kafka-cluster.sh with fresh data), a discarded warm-up of SERVER_WARMUP_N records per codec
# into an RF 3 topic with acks=all (warms leaders and followers), then (r); the cluster is stopped after
# (`cluster down`, its logs kept in OUT/raw). The order of the two systems alternates between
# repetitions. The quiet gate, noise marking and retries are run-produce-bench.sh's (lib-bench.sh):
# before every measured run it waits (at most QUIET_MAX_WAIT s) until everything but the cluster's
# processes uses < QUIET_CORES cores.
#
#   bench/run-replication-bench.sh                                   full run: 5,000,000 records per workload
#   REPS=3 bench/run-replication-bench.sh                            three repetitions, medians (min–max)
#   N=20000 SERVER_WARMUP_N=20000 QUIET_MAX_WAIT=4 bench/run-replication-bench.sh      smoke test (~3 min)
#
# Knobs (environment): REPS (1), N (5000000), WARMUP (N/5), SERVER_WARMUP_N (N/2), PARTS ("1 6"),
# COMPS ("none lz4"), REPLICATION_FACTOR (3), MIN_INSYNC (2), SYSTEMS ("strata kafka"),
# STRATA_CLUSTER_ARGS ("--storage-nodes 3 --ingestion-nodes 0 --groups-nodes 0": the ingestion and groups
# services are not on the produce path; etcd, one coordination and two replication controllers run as `cluster up` starts them),
# STRATA_SERVER_OPTS (JVM flags of every Strata role, given as STRATA_JAVA_OPTS to `cluster up`; default
# Kafka's broker heap -Xms1G -Xmx1G), KAFKA_CLUSTER_TMP, KAFKA_CLUSTER_BASE_PORT (kafka-cluster.sh), and
# the shared ones of lib-bench.sh: RECORD_SIZE (100), BATCH_SIZE (65536), LINGER_MS (5), QUIET_CORES (0.30),
# QUIET_MAX_WAIT (60), NOISE_CORES (0.50), MAX_TRIES (3), TOOL_TIMEOUT (600), THROUGHPUT (-1), KAFKA_BENCH, KAFKA_JAVA_HOME,
# STRATA_JAVA_HOME, STRATA_TOOL_OPTS, STRATA_PRODUCER_PROPS, KAFKA_PRODUCER_PROPS;
# OUT (bench/target/replication-bench/<UTC time>).
# Output: a markdown summary (records/s, MiB/s, p50/p99/p99.9 of both, ratios Strata/Kafka, targets) on
# stdout and in OUT/summary.md; raw tool output, cluster logs, commands and results.tsv in OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
STRATA_HOME="$(pwd)"

REPS="${REPS:-1}"
N="${N:-5000000}"
WARMUP="${WARMUP:-$((N / 5))}"
SERVER_WARMUP_N="${SERVER_WARMUP_N:-$((N / 2))}"
PARTS="${PARTS:-1 6}"
COMPS="${COMPS:-none lz4}"
REPLICATION_FACTOR="${REPLICATION_FACTOR:-3}"
MIN_INSYNC="${MIN_INSYNC:-2}"
SYSTEMS="${SYSTEMS:-strata kafka}"
STRATA_CLUSTER_ARGS="${STRATA_CLUSTER_ARGS:---storage-nodes 3 --ingestion-nodes 0 --groups-nodes 0}"
OUT="${OUT:-$STRATA_HOME/bench/target/replication-bench/$(date -u +%Y%m%dT%H%M%SZ)}"
# shellcheck source=lib-bench.sh
source "$STRATA_HOME/bench/lib-bench.sh"
if (( WARMUP >= N )); then echo "WARMUP ($WARMUP) must be below N ($N)" >&2; exit 2; fi
KAFKA_CLUSTER="$STRATA_HOME/bench/kafka-cluster.sh"
CLUSTER_DIR=""

# ---------------------------------------------------------------- clusters
start_strata() {
  # shellcheck disable=SC2086
  cluster_up $STRATA_CLUSTER_ARGS
  if [[ $rep == 1 ]]; then cp "$CLUSTER_DIR/cluster.json" "$OUT/strata-cluster.json"; fi
}
stop_strata() { cluster_down "$RAW/strata-logs-r$rep"; }

kafka_cluster() { KAFKA_BENCH="$KAFKA_BENCH" JAVA_HOME="$KAFKA_JAVA_HOME" "$KAFKA_CLUSTER" "$@"; }

start_kafka() {
  kafka_fetch
  echo "bench/kafka-cluster.sh start" >> "$OUT/commands.txt"
  kafka_cluster start >&2
  SERVER_PIDS="$(kafka_cluster pids)"
  BOOTSTRAP="$(kafka_cluster bootstrap)"
}

stop_kafka() {
  [[ -n "$SERVER_PIDS" ]] || return 0
  local tmp="${KAFKA_CLUSTER_TMP:-/tmp/kafka-cluster-bench}" n
  kafka_cluster stop >&2 || true
  for n in 1 2 3; do cp "$tmp/node-$n/logs/server.log" "$RAW/kafka-node-$n-r$rep.log" 2>/dev/null || true; done
  SERVER_PIDS=""; BOOTSTRAP=""
}

cleanup() {
  if [[ "${CURRENT:-}" == strata ]]; then stop_strata; fi
  if [[ "${CURRENT:-}" == kafka ]]; then stop_kafka; fi
  rm -rf "$APP"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# ---------------------------------------------------------------- topics
# Creates a topic with REPLICATION_FACTOR replicas and MIN_INSYNC, then waits (at most 60 s) until
# describe shows that replication factor, that min.insync.replicas and a full ISR on every partition.
replicated_topic() {  # name partitions
  local t="$1" p="$2" i desc ok
  create_topic "$t" "$p" "$REPLICATION_FACTOR" "$MIN_INSYNC"
  for i in $(seq 1 120); do
    if [[ "$CURRENT" == strata ]]; then
      desc="$(strata_admin topic describe "$t" --output json)"
      ok=$(printf '%s\n' "$desc" | python3 -c '
import json, sys
d = json.load(sys.stdin); rf, isr, p = (int(a) for a in sys.argv[1:4])
parts = d["partitions"]
good = (len(parts) == p and all(len(x["replicas"]) == rf and len(x["isr"]) == rf and x["leader"] is not None for x in parts)
        and str(d["config"].get("min.insync.replicas")) == str(isr))
print(1 if good else 0)' "$REPLICATION_FACTOR" "$MIN_INSYNC" "$p")
    else
      desc="$(kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" --describe --topic "$t")"
      ok=$(printf '%s\n' "$desc" | awk -v rf="$REPLICATION_FACTOR" -v isr="$MIN_INSYNC" -v p="$p" '
        /ReplicationFactor:/ { head = ($0 ~ "ReplicationFactor: " rf "[^0-9]") && ($0 ~ "min.insync.replicas=" isr "([^0-9]|$)") }
        /Partition: [0-9]+/ && /Isr:/ { n++; s = $0; sub(/.*Isr: /, "", s); sub(/[ \t].*/, "", s); if (split(s, a, ",") == rf) full++ }
        END { print (head && n == p && full == p) ? 1 : 0 }')
    fi
    if [[ "$ok" == 1 ]]; then
      if [[ $rep == 1 ]]; then printf '%s\n' "$desc" > "$RAW/${CURRENT}_describe_$t.txt"; fi
      return 0
    fi
    sleep 0.5
  done
  log "topic $t: not RF $REPLICATION_FACTOR / min.insync.replicas $MIN_INSYNC / full ISR after 60 s:"; printf '%s\n' "$desc" >&2
  return 1
}

# ---------------------------------------------------------------- one system, one repetition
TSV="$OUT/results.tsv"
results_header "$TSV"

run_system() {
  CURRENT="$1"
  log "=== $CURRENT, repetition $rep/$REPS (load: $(cut -d' ' -f1-3 /proc/loadavg))"
  if [[ "$CURRENT" == strata ]]; then start_strata; else start_kafka; fi
  local c p t name try
  for c in $COMPS; do
    t="warmup-$c-r$rep"
    replicated_topic "$t" 1
    log "  cluster warm-up: $SERVER_WARMUP_N x $RECORD_SIZE B, acks=all, $c (discarded)"
    produce "${CURRENT}_warmup_${c}_r$rep" "$t" "$SERVER_WARMUP_N" 0 all "$c"
  done
  for p in $PARTS; do for c in $COMPS; do
    for try in $(seq 1 "$MAX_TRIES"); do
      t="r-p$p-rf$REPLICATION_FACTOR-acksall-$c-r$rep"; (( try > 1 )) && t="$t-try$try"
      name="${CURRENT}_$t"
      replicated_topic "$t" "$p"
      produce "$name" "$t" "$N" "$WARMUP" all "$c"
      check_noise
      row "$CURRENT" r "${RECORD_SIZE}B p=$p RF=$REPLICATION_FACTOR acks=all $c" "$(produce_fields "$name")"
      log "  (r) p=$p acks=all $c: $(tail -1 "$TSV" | cut -f5-11 | tr '\t' ' ')  [bg ${BG} cores before, ${OTHER_CPU} core-s by others during ${WALL}s, waited ${WAITED}s]"
      if [[ "$NOISY" == 0 ]]; then break; fi
      log "  noisy run (others used > $NOISE_CORES cores on average); try $try of $MAX_TRIES"
    done
  done; done
  if [[ "$CURRENT" == strata ]]; then stop_strata; else stop_kafka; fi
  CURRENT=""
}

# ---------------------------------------------------------------- environment record
snapshot_strata coordination storage replication groups ingestion
{
  echo "date_utc: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "params: REPS=$REPS N=$N WARMUP=$WARMUP SERVER_WARMUP_N=$SERVER_WARMUP_N PARTS='$PARTS' COMPS='$COMPS' REPLICATION_FACTOR=$REPLICATION_FACTOR MIN_INSYNC=$MIN_INSYNC RECORD_SIZE=$RECORD_SIZE BATCH_SIZE=$BATCH_SIZE LINGER_MS=$LINGER_MS THROUGHPUT=$THROUGHPUT SYSTEMS='$SYSTEMS' STRATA_CLUSTER_ARGS='$STRATA_CLUSTER_ARGS' NOISE_CORES=$NOISE_CORES MAX_TRIES=$MAX_TRIES STRATA_PRODUCER_PROPS='$STRATA_PRODUCER_PROPS' KAFKA_PRODUCER_PROPS='$KAFKA_PRODUCER_PROPS'"
  echo "strata_java: $("$STRATA_JAVA" -version 2>&1 | head -1)"
  echo "strata_server_opts (every role): $STRATA_SERVER_OPTS"
  echo "strata_tool_opts: $STRATA_TOOL_OPTS"
  echo "strata_jars (copied at start): $(strata_jars_info)"
  echo "kafka_java: $("$KAFKA_JAVA_HOME/bin/java" -version 2>&1 | head -1)"
  echo "kafka_version: $(kafka_version); 3 combined broker+controller nodes (bench/kafka-cluster.sh)"
  echo "cpu: $(nproc) x $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "uptime_at_start: $(uptime)"
} > "$OUT/env.txt"
cat "$OUT/env.txt" >&2

# ---------------------------------------------------------------- repetitions
T_START=$(date +%s)
for rep in $(seq 1 "$REPS"); do
  order="$SYSTEMS"
  if (( rep % 2 == 0 )); then order="$(echo "$SYSTEMS" | awk '{for (i = NF; i > 0; i--) printf "%s%s", $i, (i > 1 ? " " : "")}')"; fi
  for s in $order; do run_system "$s"; done
done
echo "uptime_at_end: $(uptime)" >> "$OUT/env.txt"
echo "wall_total_s: $(( $(date +%s) - T_START ))" >> "$OUT/env.txt"

# ---------------------------------------------------------------- summary
S="$OUT/summary.md"
{
  echo "## Replicated produce: Strata (3 storage nodes) vs Kafka $(kafka_version) (3 brokers), RF $REPLICATION_FACTOR, min.insync.replicas $MIN_INSYNC, acks=all"
  echo
  echo "$N x $RECORD_SIZE B per workload (steady state: after $WARMUP), batch.size $BATCH_SIZE, linger.ms $LINGER_MS; $REPS repetition(s), median (min–max)."
  echo
  awk -F'\t' -f "$STRATA_HOME/bench/lib-summary.awk" -f "$STRATA_HOME/bench/replication-bench-summary.awk" "$TSV"
  echo
  grep -E '^(uptime_at_start|uptime_at_end|wall_total_s):' "$OUT/env.txt" | sed 's/^/    /'
} > "$S"
cat "$S"
log "done; results in $OUT"
