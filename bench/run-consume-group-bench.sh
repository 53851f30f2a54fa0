#!/usr/bin/env bash
# Group consumer benchmark: Strata (standalone, `strata perf consume --group`) and Apache Kafka 4.3.1 (single
# KRaft broker, Kafka's ConsumerPerformance --group) side by side, in one invocation on this machine.
# Per repetition and system: a fresh server (as run-produce-bench.sh: lib-bench.sh's standalone_up /
# kafka_up), one topic of PARTS partitions filled with N x RECORD_SIZE-byte records by each system's own
# producer tool (acks=1, no compression, batch.size=65536 linger.ms=5; not measured), one discarded read
# (warms the server's fetch path), then:
#   (g) both: one consumer joins a fresh group and reads the N records from the beginning. Kafka's tool runs
#       with group.protocol=KAFKA_GROUP_PROTOCOL (default consumer: KIP-848, the protocol Strata's groups
#       follow; the broker enables it by default since 4.0), given as --command-property (4.3.1's tool takes
#       --command-property and --command-config; --consumer.config is deprecated). The figure is Kafka's
#       fetch.nMsg.sec: elapsed minus rebalance.time.ms (the join). Strata's rate also leaves the join out
#       (subscribe to the first assignment with partitions); see `strata perf consume --help`.
#       Commits as Kafka's tool: none explicit; both consumers auto-commit (Kafka's consumer default,
#       which perf consume --group also sets).
#   (k) Strata only (COMMIT=1): the same with --commit (commitAsync after every poll), set against Kafka's (g).
#   (c) Strata only (ASSIGN=1): assign mode (every partition, no group), set against Kafka's (g).
# Quiet gate, noise rule and CPU accounting as run-produce-bench.sh (lib-bench.sh); the order of the two
# systems alternates between repetitions.
#
#   bench/run-consume-group-bench.sh                                   full run: 5,000,000 records, REPS=3 (~15 min)
#   REPS=1 N=300000 QUIET_MAX_WAIT=10 bench/run-consume-group-bench.sh     smoke test (~3 min)
#
# Knobs (environment): REPS (3), N (5000000), PARTS (6), RECORD_SIZE (100), KAFKA_GROUP_PROTOCOL (consumer |
# classic), COMMIT (1), ASSIGN (1), WARMUP_READ (1), SYSTEMS ("strata kafka"), CONSUME_TIMEOUT_MS (30000),
# STRATA_CONSUMER_ARGS / KAFKA_CONSUMER_PROPS (extra perf consume arguments / ConsumerPerformance
# --command-property pairs for every read), and lib-bench.sh's QUIET_CORES, QUIET_MAX_WAIT, NOISE_CORES,
# MAX_TRIES, TOOL_TIMEOUT, *_JAVA_HOME, STRATA_SERVER_OPTS, STRATA_TOOL_OPTS, KAFKA_BENCH; OUT
# (bench/target/consume-group-bench/<UTC time>).
# Output: markdown tables (rates, ratio Strata/Kafka, join times, CPU) on stdout and in OUT/summary.md; raw
# tool output, commands, results.tsv and joins.tsv in OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
STRATA_HOME="$(pwd)"

REPS="${REPS:-3}"
N="${N:-5000000}"
PARTS="${PARTS:-6}"
KAFKA_GROUP_PROTOCOL="${KAFKA_GROUP_PROTOCOL:-consumer}"
COMMIT="${COMMIT:-1}"
ASSIGN="${ASSIGN:-1}"
WARMUP_READ="${WARMUP_READ:-1}"
SYSTEMS="${SYSTEMS:-strata kafka}"
OUT="${OUT:-$STRATA_HOME/bench/target/consume-group-bench/$(date -u +%Y%m%dT%H%M%SZ)}"
# shellcheck source=lib-bench.sh
source "$STRATA_HOME/bench/lib-bench.sh"
case "$KAFKA_GROUP_PROTOCOL" in consumer|classic) ;; *) echo "KAFKA_GROUP_PROTOCOL is consumer or classic" >&2; exit 2;; esac
KAFKA_CONSUMER_PROPS="group.protocol=$KAFKA_GROUP_PROTOCOL${KAFKA_CONSUMER_PROPS:+ $KAFKA_CONSUMER_PROPS}"
STRATA_GROUP_ARGS="$STRATA_CONSUMER_ARGS"

cleanup() {
  if [[ "${CURRENT:-}" == strata ]]; then standalone_down; fi
  if [[ "${CURRENT:-}" == kafka ]]; then kafka_down; fi
  rm -rf "$APP"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

TSV="$OUT/results.tsv"
results_header "$TSV"
JOINS="$OUT/joins.tsv"
printf 'system\tsection\trep\tjoin_ms\n' > "$JOINS"

# one measured read, repeated into a fresh group when noisy: SECTION LABEL GROUP_PREFIX (empty = assign mode)
measured_read() {
  local section="$1" label="$2" prefix="$3" topic="$4" try name group
  for try in $(seq 1 "$MAX_TRIES"); do
    name="${CURRENT}_${section}_r${rep}_try$try"
    group=""; [[ -n "$prefix" ]] && group="$prefix-r$rep-try$try-$RANDOM"
    consume "$name" "$topic" "$N" "$group"
    check_noise
    row "$CURRENT" "$section" "${RECORD_SIZE}B p=$PARTS" "$(consume_fields "$name")"$'\t'"$NA7"
    [[ -n "$group" ]] && printf '%s\t%s\t%s\t%s\n' "$CURRENT" "$section" "$rep" "$(consume_join_ms "$name")" >> "$JOINS"
    log "  ($section) $label: $(tail -1 "$TSV" | cut -f5-7 | tr '\t' ' ') records rec/s MiB/s, join $( [[ -n "$group" ]] && consume_join_ms "$name" || echo -) ms  [bg ${BG} cores before, ${OTHER_CPU} core-s by others during ${WALL}s]"
    if [[ "$NOISY" == 0 ]]; then break; fi
    log "  noisy run (others used > $NOISE_CORES cores on average); try $try of $MAX_TRIES"
  done
}

run_system() {
  CURRENT="$1"
  log "=== $CURRENT, repetition $rep/$REPS (load: $(cut -d' ' -f1-3 /proc/loadavg))"
  if [[ "$CURRENT" == strata ]]; then standalone_up; else kafka_up; fi
  local t="group-p$PARTS-r$rep"
  create_topic "$t" "$PARTS"
  log "  fill: $N x $RECORD_SIZE B into $t ($PARTS partitions), acks=1, not measured"
  QUIET_MAX_WAIT=0 produce "${CURRENT}_fill_r$rep" "$t" "$N" 0 1 none
  if [[ "$WARMUP_READ" == 1 ]]; then
    log "  warm-up read (discarded)"
    QUIET_MAX_WAIT=0 consume "${CURRENT}_warmup_r$rep" "$t" "$N" "warmup-r$rep-$RANDOM"
  fi
  STRATA_CONSUMER_ARGS="$STRATA_GROUP_ARGS"
  measured_read g "group ($([[ $CURRENT == kafka ]] && echo "group.protocol=$KAFKA_GROUP_PROTOCOL" || echo "perf consume --group"))" perf "$t"
  if [[ "$CURRENT" == strata && "$COMMIT" == 1 ]]; then
    STRATA_CONSUMER_ARGS="$STRATA_GROUP_ARGS --commit"
    measured_read k "group, --commit" perf-commit "$t"
  fi
  if [[ "$CURRENT" == strata && "$ASSIGN" == 1 ]]; then
    STRATA_CONSUMER_ARGS="$STRATA_GROUP_ARGS"
    measured_read c "assign mode" "" "$t"
  fi
  STRATA_CONSUMER_ARGS="$STRATA_GROUP_ARGS"
  if [[ "$CURRENT" == strata ]]; then standalone_down; else kafka_down; fi
  CURRENT=""
}

snapshot_strata standalone
{
  echo "date_utc: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "params: REPS=$REPS N=$N PARTS=$PARTS RECORD_SIZE=$RECORD_SIZE KAFKA_GROUP_PROTOCOL=$KAFKA_GROUP_PROTOCOL COMMIT=$COMMIT ASSIGN=$ASSIGN WARMUP_READ=$WARMUP_READ SYSTEMS='$SYSTEMS' CONSUME_TIMEOUT_MS=$CONSUME_TIMEOUT_MS STRATA_CONSUMER_ARGS='$STRATA_GROUP_ARGS' KAFKA_CONSUMER_PROPS='$KAFKA_CONSUMER_PROPS' NOISE_CORES=$NOISE_CORES MAX_TRIES=$MAX_TRIES"
  echo "strata_java: $("$STRATA_JAVA_HOME/bin/java" -version 2>&1 | head -1)"
  echo "strata_server_opts: $STRATA_SERVER_OPTS"
  echo "strata_tool_opts: $STRATA_TOOL_OPTS"
  echo "strata_jars (copied at start): $(strata_jars_info)"
  echo "kafka_java: $("$KAFKA_JAVA_HOME/bin/java" -version 2>&1 | head -1)"
  echo "kafka_version: $(kafka_version)"
  echo "cpu: $(nproc) x $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "uptime_at_start: $(uptime)"
} > "$OUT/env.txt"
cat "$OUT/env.txt" >&2

T_START=$(date +%s)
for rep in $(seq 1 "$REPS"); do
  order="$SYSTEMS"
  if (( rep % 2 == 0 )); then order="$(echo "$SYSTEMS" | awk '{for (i = NF; i > 0; i--) printf "%s%s", $i, (i > 1 ? " " : "")}')"; fi
  for s in $order; do run_system "$s"; done
done
echo "uptime_at_end: $(uptime)" >> "$OUT/env.txt"
echo "wall_total_s: $(( $(date +%s) - T_START ))" >> "$OUT/env.txt"

S="$OUT/summary.md"
{
  echo "## Group consumer: Strata (perf consume --group) vs Kafka $(kafka_version) (ConsumerPerformance --group, group.protocol=$KAFKA_GROUP_PROTOCOL)"
  echo
  echo "$N x ${RECORD_SIZE} B in $PARTS partitions, one consumer, a fresh group per read; $REPS repetition(s)."
  echo
  awk -F'\t' -v reps="$REPS" -f "$STRATA_HOME/bench/lib-summary.awk" -f "$STRATA_HOME/bench/consume-group-bench-summary.awk" "$TSV"
  echo
  echo "### Group join (subscribe to the first assignment; left out of the rates), ms, median (min–max)"
  echo
  echo "| system | section | join ms |"
  echo "|---|---|---|"
  awk -F'\t' 'NR > 1 && $4 != "NA" { v[$1 "\t" $2] = v[$1 "\t" $2] " " $4 }
    END { for (k in v) { n = split(v[k], a, " "); for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
            split(k, p, "\t"); m = (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
            printf "| %s | %s | %s%s |\n", p[1], p[2], m, (n > 1 ? " (" a[1] "–" a[n] ")" : "") } }' "$JOINS" | sort
  echo
  grep -E '^(uptime_at_start|uptime_at_end|wall_total_s):' "$OUT/env.txt" | sed 's/^/    /'
} > "$S"
cat "$S"
log "done; results in $OUT"
