#!/usr/bin/env bash
# Failover benchmark: how long after a partition leader dies a new leader accepts writes, on a local
# Strata cluster (`bin/strata cluster up --storage-nodes 3 --session-timeout-ms SESSION_TIMEOUT_MS`,
# from a copy of the built jars). Target (replication issue): <= session timeout + 1 s, p50 and max
# over ROUNDS failovers.
# io.strata.bench.FailoverBench (bench/src/main/java) keeps a producer sending one 100-byte acks=all
# record every SEND_INTERVAL_MS to a one-partition topic (RF 3, min.insync.replicas 2), and ROUNDS
# times per mode in MODE:
#   kill  kill -9 of the leader's process (connections reset: the session breaks at once), then
#         `bin/strata cluster start NODE`;
#   stop  SIGSTOP of the leader (a silent death: no reset, so only the session timeout can tell),
#         SIGCONT once the new leader has been seen and has accepted a write;
# each time measuring, from the signal: the first DescribeTopic naming another leader (polled every
# 10 ms) and the first acknowledgement of a record (the new leader accepting writes); then it waits
# until the ISR is full again before the next round. Killing whoever leads rotates through the nodes
# as leadership moves.
#
#   bench/run-failover-bench.sh                                   20 rounds of each mode (~10 min)
#   ROUNDS=2 bench/run-failover-bench.sh                          smoke test (~2 min)
#   MODE=stop SESSION_TIMEOUT_MS=3000 bench/run-failover-bench.sh
#
# Knobs (environment): ROUNDS (20), SESSION_TIMEOUT_MS (6000, the product default), MODE ("kill stop"),
# SEND_INTERVAL_MS (2), FAILOVER_PRODUCER_PROPS (extra producer configs, KEY=VALUE,...; the bench sets
# acks=all linger.ms=0 delivery.timeout.ms=600000, the rest are the client's defaults),
# STRATA_CLUSTER_ARGS ("--storage-nodes 3 --ingestion-nodes 0 --groups-nodes 0"), STRATA_SERVER_OPTS (every role's JVM
# flags; -Xms1G -Xmx1G), STRATA_JAVA_HOME, QUIET_CORES / QUIET_MAX_WAIT (one quiet gate before the
# first round), OUT (bench/target/failover-bench/<UTC time>).
# Output: per-round lines and a markdown table (p50/max per mode, the session timeout, the target) on
# stdout, in OUT/failover.txt and OUT/summary.md; the cluster's logs in OUT/raw/strata-logs.
set -euo pipefail
cd "$(dirname "$0")/.."
STRATA_HOME="$(pwd)"

ROUNDS="${ROUNDS:-20}"
SESSION_TIMEOUT_MS="${SESSION_TIMEOUT_MS:-6000}"
MODE="${MODE:-kill stop}"
SEND_INTERVAL_MS="${SEND_INTERVAL_MS:-2}"
FAILOVER_PRODUCER_PROPS="${FAILOVER_PRODUCER_PROPS:-}"
STRATA_CLUSTER_ARGS="${STRATA_CLUSTER_ARGS:---storage-nodes 3 --ingestion-nodes 0 --groups-nodes 0}"
OUT="${OUT:-$STRATA_HOME/bench/target/failover-bench/$(date -u +%Y%m%dT%H%M%SZ)}"
# shellcheck source=lib-bench.sh
source "$STRATA_HOME/bench/lib-bench.sh"

BENCH_JAR="$STRATA_HOME/bench/target/benchmarks.jar"
[[ -f "$BENCH_JAR" ]] || { echo "build first: ./mvnw -pl bench install -DskipTests (no $BENCH_JAR)" >&2; exit 1; }
CLUSTER_DIR=""
rep=1

cleanup() {
  cluster_down "$RAW/strata-logs"
  rm -rf "$APP"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

snapshot_strata coordination storage replication groups ingestion
cp "$BENCH_JAR" "$APP/benchmarks.jar"
{
  echo "date_utc: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "params: ROUNDS=$ROUNDS SESSION_TIMEOUT_MS=$SESSION_TIMEOUT_MS MODE='$MODE' SEND_INTERVAL_MS=$SEND_INTERVAL_MS FAILOVER_PRODUCER_PROPS='$FAILOVER_PRODUCER_PROPS' STRATA_CLUSTER_ARGS='$STRATA_CLUSTER_ARGS'"
  echo "strata_java: $("$STRATA_JAVA" -version 2>&1 | head -1)"
  echo "strata_server_opts (every role): $STRATA_SERVER_OPTS"
  echo "strata_jars (copied at start): $(strata_jars_info), bench $(date -u -r "$APP/benchmarks.jar" +%FT%TZ)"
  echo "cpu: $(nproc) x $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "uptime_at_start: $(uptime)"
} > "$OUT/env.txt"
cat "$OUT/env.txt" >&2

# shellcheck disable=SC2086
cluster_up $STRATA_CLUSTER_ARGS --session-timeout-ms "$SESSION_TIMEOUT_MS"
cp "$CLUSTER_DIR/cluster.json" "$OUT/strata-cluster.json"
wait_quiet
log "quiet gate: ${BG} cores busy elsewhere (waited ${WAITED}s); $ROUNDS rounds of: $MODE"

BOOTSTRAP=""          # `cluster start` takes no --bootstrap
strata_admin_cmd      # ADMIN_CMD: the CLI the bench runs `cluster start NODE --dir DIR` with
modes="$(echo "$MODE" | tr ' ' ',')"
cmd=("$STRATA_JAVA" "${BASE_FLAGS[@]}" -Xmx512M -cp "$APP/benchmarks.jar" io.strata.bench.FailoverBench
     --cluster-dir "$CLUSTER_DIR" --rounds "$ROUNDS" --modes "$modes" --session-timeout-ms "$SESSION_TIMEOUT_MS"
     --send-interval-ms "$SEND_INTERVAL_MS" --producer-props "$FAILOVER_PRODUCER_PROPS" -- "${ADMIN_CMD[@]}")
printf '%q ' "${cmd[@]}" >> "$OUT/commands.txt"; echo >> "$OUT/commands.txt"
rc=0
"${cmd[@]}" 2> "$RAW/failover-bench.err" | tee "$OUT/failover.txt" || rc=$?
if [[ $rc != 0 ]]; then log "FailoverBench exited $rc; its stderr: $RAW/failover-bench.err"; tail -5 "$RAW/failover-bench.err" >&2; fi
echo "uptime_at_end: $(uptime)" >> "$OUT/env.txt"

{
  echo "## Failover: kill -9 / SIGSTOP of a partition leader to the first write the new leader accepts"
  echo
  echo "Strata local cluster ($STRATA_CLUSTER_ARGS), session timeout $SESSION_TIMEOUT_MS ms, $ROUNDS rounds per mode, one acks=all record every $SEND_INTERVAL_MS ms."
  echo
  sed -n '/^| how the leader dies/,/^$/p' "$OUT/failover.txt"
  sed -n '/^write accepted = /p' "$OUT/failover.txt"
  echo
  echo "Per round:"
  echo
  grep -E '^(kill -9|SIGSTOP) round' "$OUT/failover.txt" | sed 's/^/    /'
  echo
  grep -E '^(uptime_at_start|uptime_at_end):' "$OUT/env.txt" | sed 's/^/    /'
} > "$OUT/summary.md"
log "done; results in $OUT (summary.md)"
exit $rc
