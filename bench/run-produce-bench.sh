#!/usr/bin/env bash
# Produce-path benchmark: Strata (standalone, Java client via `strata perf`) and Apache Kafka
# (single KRaft broker, Kafka's own ProducerPerformance / ConsumerPerformance) side by side, in
# one invocation on this machine, with the workloads of Kafka's baseline (../shared/bench/kafka):
#   (a) producer: N x 100 B, --throughput -1, --warmup-records W, batch.size=65536 linger.ms=5,
#       partitions in PARTS x acks in ACKS_LIST x compression in COMPS (default 1 6 / 1 all / none lz4);
#   (i) Strata only: the same N records through the ingestion service (`perf produce --via ingestion`,
#       a thin client with INGESTION_IN_FLIGHT requests of INGESTION_RECORDS_PER_REQUEST records in
#       flight; the service batches with its own settings: lz4, so lz4 workloads only; INGESTION=0 skips),
#       after a discarded warm-up of SERVER_WARMUP_N records through the service per acks level;
#   (c) consumer: reads back the N records of each acks=all topic of (a) from the beginning.
# Per repetition and system: a fresh server (Strata: the standalone on a free port, data in a temp
# dir; Kafka: ../shared/bench/kafka/broker.sh), a discarded server warm-up of SERVER_WARMUP_N
# records per codec (as Kafka's run.sh), then (a) and (c); the server is stopped after. The order of
# the two systems alternates between repetitions. Before every measured run a quiet gate waits
# (at most QUIET_MAX_WAIT s) until everything but the server uses < QUIET_CORES cores; the load seen
# is recorded with each result (bg_cores_before, other_cpu_s, loadavg).
#
#   bench/run-produce-bench.sh                                   full run: 5,000,000 records per workload
#   N=1000000 WARMUP=200000 SERVER_WARMUP_N=500000 bench/run-produce-bench.sh        quick run (~10 min)
#   SYSTEMS=strata JFR=1 N=3000000 bench/run-produce-bench.sh     profile Strata: JFR of server + client per run
#
# Knobs (environment): REPS (1), N (5000000), WARMUP (N/5), SERVER_WARMUP_N (N/2), PARTS, ACKS_LIST,
# COMPS, RECORD_SIZE (100), BATCH_SIZE (65536), LINGER_MS (5), SYSTEMS ("strata kafka"), QUIET_CORES
# (0.30), QUIET_MAX_WAIT (60), NOISE_CORES (0.50), MAX_TRIES (3), TOOL_TIMEOUT (600 s per tool run), KAFKA_BENCH (../shared/bench/kafka),
# KAFKA_JAVA_HOME (JDK 17, as the Kafka baseline), STRATA_JAVA_HOME (JDK 25), STRATA_SERVER_OPTS
# (the standalone's JVM flags; default Kafka's broker heap -Xms1G -Xmx1G), STRATA_TOOL_OPTS (the perf
# client's JVM flags; default Kafka's perf-tool flags, with the C2 JIT bin/strata turns off for short
# commands), STRATA_PRODUCER_PROPS / KAFKA_PRODUCER_PROPS (extra producer configs, KEY=VALUE separated by
# spaces, e.g. STRATA_PRODUCER_PROPS=enable.idempotence=false), JFR (0), OUT (bench/target/produce-bench/<UTC time>).
# Strata runs from a copy of the built jars taken at the start (OUT/app, deleted at the end), with the
# exact java command lines bin/strata uses (`bin/strata standalone`, `STRATA_CLI_JAVA_OPTS=... bin/strata
# perf ...`; see OUT/commands.txt), so that builds by others during the run neither change what is
# measured nor make bin/strata rebuild the project in the middle of a measurement.
# Output: a markdown table (both systems, ratios Strata/Kafka) on stdout and in OUT/summary.md; raw
# tool output, commands and results.tsv in OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
STRATA_HOME="$(pwd)"

REPS="${REPS:-1}"
N="${N:-5000000}"
WARMUP="${WARMUP:-$((N / 5))}"
SERVER_WARMUP_N="${SERVER_WARMUP_N:-$((N / 2))}"
PARTS="${PARTS:-1 6}"
ACKS_LIST="${ACKS_LIST:-1 all}"
COMPS="${COMPS:-none lz4}"
SYSTEMS="${SYSTEMS:-strata kafka}"
# A run during which other processes used more than NOISE_CORES cores on average is marked noisy
# and repeated (into a fresh topic), at most MAX_TRIES times in all; the summary uses clean runs.
# (i) Strata through the ingestion service (thin client, `perf produce --via ingestion`), lz4 only (the
# service's compression), compared with Kafka's (a) row of the same workload.
INGESTION="${INGESTION:-1}"
INGESTION_RECORDS_PER_REQUEST="${INGESTION_RECORDS_PER_REQUEST:-2000}"
INGESTION_IN_FLIGHT="${INGESTION_IN_FLIGHT:-4}"
OUT="${OUT:-$STRATA_HOME/bench/target/produce-bench/$(date -u +%Y%m%dT%H%M%SZ)}"
# The shared knobs (RECORD_SIZE, BATCH_SIZE, LINGER_MS, QUIET_*, NOISE_CORES, MAX_TRIES, TOOL_TIMEOUT, JFR,
# *_JAVA_HOME, STRATA_*_OPTS, *_PRODUCER_PROPS, KAFKA_BENCH) get their defaults in lib-bench.sh.
# shellcheck source=lib-bench.sh
source "$STRATA_HOME/bench/lib-bench.sh"
if (( WARMUP >= N )); then echo "WARMUP ($WARMUP) must be below N ($N)" >&2; exit 2; fi

cleanup() {
  if [[ "${CURRENT:-}" == strata ]]; then standalone_down; fi
  if [[ "${CURRENT:-}" == kafka ]]; then kafka_down; fi
  rm -rf "$APP"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

TSV="$OUT/results.tsv"
results_header "$TSV"

# ---------------------------------------------------------------- one system, one repetition
produce_via_ingestion() {  # name topic n warmup acks   (Strata only; compression is the ingestion service's: lz4)
  local name="$1" topic="$2" n="$3" wu="$4" acks="$5"
  local wu_args=(); (( wu > 0 )) && wu_args=(--warmup-records "$wu")
  strata_cmd "$(tool_jfr_opts "$name")"
  run_measured "$name" "${CMD[@]}" perf produce --via ingestion --topic "$topic" --records "$n" \
    --record-size "$RECORD_SIZE" --throughput -1 "${wu_args[@]}" --acks "$acks" \
    --records-per-request "$INGESTION_RECORDS_PER_REQUEST" --requests-in-flight "$INGESTION_IN_FLIGHT" --output json
}

run_system() {
  CURRENT="$1"
  log "=== $CURRENT, repetition $rep/$REPS (load: $(cut -d' ' -f1-3 /proc/loadavg))"
  if [[ "$CURRENT" == strata ]]; then standalone_up; else kafka_up; fi
  local c p a t name
  for c in $COMPS; do
    t="warmup-$c-r$rep"
    create_topic "$t" 1
    log "  server warm-up: $SERVER_WARMUP_N x $RECORD_SIZE B, $c (discarded)"
    produce "${CURRENT}_warmup_${c}_r$rep" "$t" "$SERVER_WARMUP_N" 0 1 "$c"
  done
  local try
  declare -A written=()   # the topic of (a) that (c) reads, per partitions/acks/codec
  for p in $PARTS; do for a in $ACKS_LIST; do for c in $COMPS; do
    for try in $(seq 1 "$MAX_TRIES"); do
      t="a-p$p-acks$a-$c-r$rep"; (( try > 1 )) && t="$t-try$try"
      name="${CURRENT}_$t"
      create_topic "$t" "$p"
      jfr_start "$t"
      produce "$name" "$t" "$N" "$WARMUP" "$a" "$c"
      jfr_stop "$t"
      check_noise
      row "$CURRENT" a "${RECORD_SIZE}B p=$p acks=$a $c" "$(produce_fields "$name")"
      written["$p $a $c"]="$t"
      log "  (a) p=$p acks=$a $c: $(tail -1 "$TSV" | cut -f5-11 | tr '\t' ' ')  [bg ${BG} cores before, ${OTHER_CPU} core-s by others during ${WALL}s, waited ${WAITED}s]"
      if [[ "$NOISY" == 0 ]]; then break; fi
      log "  noisy run (others used > $NOISE_CORES cores on average); try $try of $MAX_TRIES"
    done
  done; done; done
  if [[ "$CURRENT" == strata && "$INGESTION" == 1 && " $COMPS " == *" lz4 "* ]]; then
    # The ingestion service is a server too: warm it as the direct path was (it keeps one producer per
    # acks level, so one discarded warm-up per level).
    for a in $ACKS_LIST; do
      t="warmup-ingestion-acks$a-r$rep"
      create_topic "$t" 1
      log "  ingestion warm-up: $SERVER_WARMUP_N x $RECORD_SIZE B, acks=$a (discarded)"
      produce_via_ingestion "${CURRENT}_warmup_ingestion_acks${a}_r$rep" "$t" "$SERVER_WARMUP_N" 0 "$a"
    done
    for p in $PARTS; do for a in $ACKS_LIST; do
      for try in $(seq 1 "$MAX_TRIES"); do
        t="i-p$p-acks$a-lz4-r$rep"; (( try > 1 )) && t="$t-try$try"
        name="${CURRENT}_$t"
        create_topic "$t" "$p"
        jfr_start "$t"
        produce_via_ingestion "$name" "$t" "$N" "$WARMUP" "$a"
        jfr_stop "$t"
        check_noise
        row "$CURRENT" i "${RECORD_SIZE}B p=$p acks=$a lz4" "$(produce_fields "$name")"
        log "  (i) via ingestion p=$p acks=$a lz4: $(tail -1 "$TSV" | cut -f5-11 | tr '\t' ' ')  [bg ${BG} cores before, ${OTHER_CPU} core-s by others during ${WALL}s, waited ${WAITED}s]"
        if [[ "$NOISY" == 0 ]]; then break; fi
        log "  noisy run (others used > $NOISE_CORES cores on average); try $try of $MAX_TRIES"
      done
    done; done
  fi
  if [[ " $ACKS_LIST " == *" all "* ]]; then a=all; else a="${ACKS_LIST%% *}"; fi
  for p in $PARTS; do for c in $COMPS; do
    t="${written["$p $a $c"]}"
    for try in $(seq 1 "$MAX_TRIES"); do
      name="${CURRENT}_c_$t"; (( try > 1 )) && name="$name-try$try"
      consume "$name" "$t" "$N"
      check_noise
      row "$CURRENT" c "${RECORD_SIZE}B p=$p $c (from a, acks=$a)" "$(consume_fields "$name")"$'\t'"$NA7"
      log "  (c) p=$p $c: $(tail -1 "$TSV" | cut -f5-7 | tr '\t' ' ')  [bg ${BG} cores before, ${OTHER_CPU} core-s by others during ${WALL}s, waited ${WAITED}s]"
      if [[ "$NOISY" == 0 ]]; then break; fi
      log "  noisy run (others used > $NOISE_CORES cores on average); try $try of $MAX_TRIES"
    done
  done; done
  if [[ "$CURRENT" == strata ]]; then standalone_down; else kafka_down; fi
  CURRENT=""
}

# ---------------------------------------------------------------- environment record
snapshot_strata standalone
{
  echo "date_utc: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "params: REPS=$REPS N=$N WARMUP=$WARMUP SERVER_WARMUP_N=$SERVER_WARMUP_N PARTS='$PARTS' ACKS_LIST='$ACKS_LIST' COMPS='$COMPS' RECORD_SIZE=$RECORD_SIZE BATCH_SIZE=$BATCH_SIZE LINGER_MS=$LINGER_MS THROUGHPUT=$THROUGHPUT SYSTEMS='$SYSTEMS' INGESTION=$INGESTION INGESTION_RECORDS_PER_REQUEST=$INGESTION_RECORDS_PER_REQUEST INGESTION_IN_FLIGHT=$INGESTION_IN_FLIGHT JFR=$JFR NOISE_CORES=$NOISE_CORES MAX_TRIES=$MAX_TRIES STRATA_PRODUCER_PROPS='$STRATA_PRODUCER_PROPS' KAFKA_PRODUCER_PROPS='$KAFKA_PRODUCER_PROPS'"
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
awk -F'\t' -v reps="$REPS" -f "$STRATA_HOME/bench/lib-summary.awk" -f "$STRATA_HOME/bench/produce-bench-summary.awk" "$TSV" > "$S"
{
  echo
  grep -E '^(uptime_at_start|uptime_at_end|wall_total_s):' "$OUT/env.txt" | sed 's/^/    /'
} >> "$S"
cat "$S"
log "done; results in $OUT"
