#!/usr/bin/env bash
# Produce-path benchmark: Strata (standalone, Java client via `strata perf`) and Apache Kafka
# (single KRaft broker, Kafka's own ProducerPerformance / ConsumerPerformance) side by side, in
# one invocation on this machine, with the workloads of Kafka's baseline (../shared/bench/kafka):
#   (a) producer: N x 100 B, --throughput -1, --warmup-records W, batch.size=65536 linger.ms=5,
#       partitions in PARTS x acks in ACKS_LIST x compression in COMPS (default 1 6 / 1 all / none lz4);
#   (i) Strata only: the same N records through the ingestion service (`perf produce --via ingestion`,
#       a thin client with INGESTION_IN_FLIGHT requests of INGESTION_RECORDS_PER_REQUEST records in
#       flight; the service batches with its own settings: lz4, so lz4 workloads only; INGESTION=0 skips);
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
RECORD_SIZE="${RECORD_SIZE:-100}"
BATCH_SIZE="${BATCH_SIZE:-65536}"
LINGER_MS="${LINGER_MS:-5}"
SYSTEMS="${SYSTEMS:-strata kafka}"
QUIET_CORES="${QUIET_CORES:-0.30}"
QUIET_MAX_WAIT="${QUIET_MAX_WAIT:-60}"
# A run during which other processes used more than NOISE_CORES cores on average is marked noisy
# and repeated (into a fresh topic), at most MAX_TRIES times in all; the summary uses clean runs.
NOISE_CORES="${NOISE_CORES:-0.50}"
MAX_TRIES="${MAX_TRIES:-3}"
TOOL_TIMEOUT="${TOOL_TIMEOUT:-600}"
JFR="${JFR:-0}"
# (i) Strata through the ingestion service (thin client, `perf produce --via ingestion`), lz4 only (the
# service's compression), compared with Kafka's (a) row of the same workload.
INGESTION="${INGESTION:-1}"
INGESTION_RECORDS_PER_REQUEST="${INGESTION_RECORDS_PER_REQUEST:-2000}"
INGESTION_IN_FLIGHT="${INGESTION_IN_FLIGHT:-4}"
STRATA_PRODUCER_PROPS="${STRATA_PRODUCER_PROPS:-}"
KAFKA_PRODUCER_PROPS="${KAFKA_PRODUCER_PROPS:-}"
KAFKA_BENCH="${KAFKA_BENCH:-$(cd "$STRATA_HOME/.." && pwd)/shared/bench/kafka}"
KAFKA_JAVA_HOME="${KAFKA_JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}"
STRATA_JAVA_HOME="${STRATA_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
G1_FLAGS="-XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent"
STRATA_SERVER_OPTS="${STRATA_SERVER_OPTS:--Xms1G -Xmx1G}"
# bin/strata starts CLI commands with -XX:+UseSerialGC -XX:TieredStopAtLevel=1 (fast start); a load
# generator needs the C2 JIT, and gets the JVM flags of Kafka's kafka-producer-perf-test.sh.
STRATA_TOOL_OPTS="${STRATA_TOOL_OPTS:--XX:TieredStopAtLevel=4 -XX:-UseSerialGC -Xmx512M $G1_FLAGS}"
OUT="${OUT:-$STRATA_HOME/bench/target/produce-bench/$(date -u +%Y%m%dT%H%M%SZ)}"
RAW="$OUT/raw"
mkdir -p "$RAW"
if (( WARMUP >= N )); then echo "WARMUP ($WARMUP) must be below N ($N)" >&2; exit 2; fi

log() { echo "[$(date -u +%H:%M:%S)] $*" | tee -a "$OUT/run.log" >&2; }
HZ=$(getconf CLK_TCK)
SPID=""            # the server under test (standalone JVM or Kafka broker)
STRATA_DATA=""
BOOTSTRAP=""

# ---------------------------------------------------------------- servers
free_port() {  # a port p with p and p+1 free (the standalone serves health on gRPC port + 1)
  local p i
  for i in $(seq 1 50); do
    p=$(( 20000 + RANDOM % 20000 ))
    if ! ss -Hltn "( sport = :$p or sport = :$((p + 1)) )" | grep -q .; then echo "$p"; return 0; fi
  done
  echo "no free port found" >&2; return 1
}

APP="$OUT/app"
STRATA_JAVA="$STRATA_JAVA_HOME/bin/java"
# What bin/strata puts on every java command line (JDK 23+), then its CLI-only flags.
BASE_FLAGS=(--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow)
snapshot_strata() {
  local cli="$STRATA_HOME/cli/target/strata-cli.jar" app="$STRATA_HOME/services/standalone/target/quarkus-app"
  [[ -f "$cli" && -f "$app/quarkus-run.jar" ]] || { echo "build first: ./mvnw install -DskipTests" >&2; exit 1; }
  mkdir -p "$APP"
  cp "$cli" "$APP/strata-cli.jar"
  cp -r "$app" "$APP/standalone"
}

# CMD = the java command of `STRATA_CLI_JAVA_OPTS="$STRATA_TOOL_OPTS $1" bin/strata --bootstrap $BOOTSTRAP`
strata_cmd() {
  # shellcheck disable=SC2206
  CMD=("$STRATA_JAVA" "${BASE_FLAGS[@]}" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 $STRATA_TOOL_OPTS ${1:-}
       -Dstrata.home="$STRATA_HOME" -jar "$APP/strata-cli.jar" --bootstrap "$BOOTSTRAP")
}
strata_cli() { strata_cmd; "${CMD[@]}" "$@"; }

start_strata() {
  local port; port=$(free_port)
  STRATA_DATA="$(mktemp -d "${STRATA_BENCH_DIR:-/tmp}/strata-produce-bench-XXXXXX")"
  BOOTSTRAP="127.0.0.1:$port"
  echo "STRATA_JAVA_OPTS='$STRATA_SERVER_OPTS' bin/strata standalone --data-dir $STRATA_DATA --port $port" >> "$OUT/commands.txt"
  # shellcheck disable=SC2086
  setsid "$STRATA_JAVA" "${BASE_FLAGS[@]}" $STRATA_SERVER_OPTS -jar "$APP/standalone/quarkus-run.jar" \
    --data-dir "$STRATA_DATA" --port "$port" > "$RAW/standalone-r$rep.log" 2>&1 < /dev/null &
  SPID=$!
  local i
  for i in $(seq 1 120); do
    if ! kill -0 "$SPID" 2>/dev/null; then log "standalone died during start-up"; tail -20 "$RAW/standalone-r$rep.log" >&2; return 1; fi
    if grep -q "Strata standalone ready" "$RAW/standalone-r$rep.log"; then
      log "strata standalone up on $BOOTSTRAP (pid $SPID, data $STRATA_DATA, ${i}s)"; return 0
    fi
    sleep 1
  done
  log "standalone not ready after 120 s"; return 1
}

stop_strata() {
  [[ -n "$SPID" ]] || return 0
  if kill -0 "$SPID" 2>/dev/null; then
    kill -TERM "$SPID"
    local i
    for i in $(seq 1 30); do kill -0 "$SPID" 2>/dev/null || break; sleep 1; done
    if kill -0 "$SPID" 2>/dev/null; then log "standalone $SPID still alive after 30 s: KILL"; kill -KILL "$SPID"; fi
  fi
  SPID=""
  if [[ -n "$STRATA_DATA" ]]; then rm -rf "$STRATA_DATA"; STRATA_DATA=""; fi
}

kafka_broker() { JAVA_HOME="$KAFKA_JAVA_HOME" "$KAFKA_BENCH/broker.sh" "$@"; }

start_kafka() {
  JAVA_HOME="$KAFKA_JAVA_HOME" "$KAFKA_BENCH/fetch.sh" >&2
  kafka_broker start >&2
  # shellcheck source=/dev/null
  SPID="$(JAVA_HOME="$KAFKA_JAVA_HOME" bash -c "source '$KAFKA_BENCH/env.sh'; cat \"\$BROKER_PID_FILE\"")"
  BOOTSTRAP="$(JAVA_HOME="$KAFKA_JAVA_HOME" bash -c "source '$KAFKA_BENCH/env.sh'; echo \"\$BOOTSTRAP\"")"
}

stop_kafka() {
  if [[ -n "$SPID" ]]; then kafka_broker stop >&2 || true; fi
  SPID=""
}

kafka_java() {  # a Kafka tool main class with the flags of Kafka's scripts (env.sh)
  JAVA_HOME="$KAFKA_JAVA_HOME" bash -c "source '$KAFKA_BENCH/env.sh'; kafka_tool \"\$@\"" kafka_tool "$@"
}

cleanup() {
  if [[ "${CURRENT:-}" == strata ]]; then stop_strata; fi
  if [[ "${CURRENT:-}" == kafka ]]; then stop_kafka; fi
  rm -rf "$APP"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# ---------------------------------------------------------------- measurement helpers
server_ticks() { awk '{print $14+$15}' "/proc/$SPID/stat" 2>/dev/null || echo 0; }
busy_ticks() { awk '/^cpu / {print $2+$3+$4+$7+$8+$9}' /proc/stat; }

# sets BG (cores used by everything but the server over the last 2 s) and WAITED (s)
wait_quiet() {
  local s0 s1 b0 b1 i
  WAITED=0
  for i in $(seq 1 $(( QUIET_MAX_WAIT / 2 + 1 ))); do
    s0=$(busy_ticks); b0=$(server_ticks); sleep 2; s1=$(busy_ticks); b1=$(server_ticks)
    BG=$(awk -v s="$((s1 - s0))" -v b="$((b1 - b0))" -v hz="$HZ" 'BEGIN{v=(s-b)/hz/2; if (v<0) v=0; printf "%.2f", v}')
    if awk -v v="$BG" -v q="$QUIET_CORES" 'BEGIN{exit !(v < q)}'; then return 0; fi
    if (( WAITED >= QUIET_MAX_WAIT )); then
      log "  quiet gate: still ${BG} cores busy elsewhere after ${WAITED}s, running anyway ($(ps -eo pcpu=,comm= --sort=-pcpu | head -3 | tr -s ' ' | tr '\n' ';'))"
      return 0
    fi
    WAITED=$(( WAITED + 2 ))
  done
}

# run_measured NAME CMD... : output -> RAW/NAME.txt; sets WALL TOOL_CPU SERVER_CPU OTHER_CPU BG WAITED LOADAVG
run_measured() {
  local name="$1"; shift
  printf '%q ' "$@" >> "$OUT/commands.txt"; echo >> "$OUT/commands.txt"
  wait_quiet
  LOADAVG="$(cut -d' ' -f1 /proc/loadavg)"
  local b0 s0 b1 s1 rc=0 tu ts
  b0=$(server_ticks); s0=$(busy_ticks)
  timeout "$TOOL_TIMEOUT" /usr/bin/time -f '%e %U %S' -o "$RAW/$name.time" "$@" > "$RAW/$name.txt" 2> "$RAW/$name.err" || rc=$?
  b1=$(server_ticks); s1=$(busy_ticks)
  if [[ $rc != 0 ]]; then log "WARN: $name exited $rc (see $RAW/$name.err)"; tail -3 "$RAW/$name.err" >&2; fi
  read -r WALL tu ts < <(tail -1 "$RAW/$name.time" 2>/dev/null | grep -E '^[0-9.]+ [0-9.]+ [0-9.]+$' || echo "NA 0 0")
  TOOL_CPU=$(awk -v u="$tu" -v s="$ts" 'BEGIN{printf "%.2f", u+s}')
  SERVER_CPU=$(awk -v a="$b0" -v b="$b1" -v hz="$HZ" 'BEGIN{printf "%.2f", (b-a)/hz}')
  OTHER_CPU=$(awk -v a="$s0" -v b="$s1" -v hz="$HZ" -v t="$TOOL_CPU" -v k="$SERVER_CPU" \
              'BEGIN{o=(b-a)/hz-t-k; if (o<0) o=0; printf "%.2f", o}')
  return 0
}

jfr_start() {  # NAME: JFR of the standalone for one run (JFR=1 only)
  [[ "$JFR" == 1 && "$CURRENT" == strata ]] || return 0
  jcmd "$SPID" JFR.start name="$1" settings=profile filename="$OUT/jfr/server-$1.jfr" > /dev/null
}
jfr_stop() {
  [[ "$JFR" == 1 && "$CURRENT" == strata ]] || return 0
  jcmd "$SPID" JFR.stop name="$1" > /dev/null || true
}
tool_jfr_opts() {  # NAME: the client's JFR flags (JFR=1 only)
  [[ "$JFR" == 1 ]] && echo "-XX:StartFlightRecording=filename=$OUT/jfr/client-$1.jfr,settings=profile" || true
}

# `strata perf --output json` line -> "records rec_s MiB_s avg p50 p99 p999" (NA when absent)
json_fields() {
  awk '
    function num(key,   r) { if (match($0, "\"" key "\": [-0-9.]+")) { r = substr($0, RSTART, RLENGTH); sub(/.*: /, "", r); return r } return "NA" }
    { printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", num("records"), num("records_per_sec"), num("mb_per_sec"), num("avg"), num("p50"), num("p99"), num("p999") }'
}
# ProducerPerformance summary line -> "records rec_s MiB_s avg p50 p99 p999" (as Kafka's run.sh parse_pp)
pp_fields() {  # file pattern
  awk -v pat="$2" '
    $0 ~ pat && /99\.9th/ {
      split($0, f, ", "); rs = f[2] + 0; mb = f[2]; sub(/.*\(/, "", mb); mb += 0
      printf "%d\t%.1f\t%.2f\t%.2f\t%d\t%d\t%d\n", $1, rs, mb, f[3], f[5], f[7], f[8]; found = 1 }
    END { if (!found) print "NA\tNA\tNA\tNA\tNA\tNA\tNA" }' "$1"
}

TSV="$OUT/results.tsv"
printf 'system\tsection\tconfig\trep\trecords\trec_s\tMiB_s\tavg_ms\tp50_ms\tp99_ms\tp999_ms\tss_records\tss_rec_s\tss_MiB_s\tss_avg_ms\tss_p50_ms\tss_p99_ms\tss_p999_ms\twall_s\ttool_cpu_s\tserver_cpu_s\tother_cpu_s\tbg_cores_before\tquiet_wait_s\tloadavg_1m\tnoisy\n' > "$TSV"

# NOISY=1 when other processes used more than NOISE_CORES cores on average during the last run
check_noise() {
  NOISY=$(awk -v o="$OTHER_CPU" -v w="$WALL" -v q="$NOISE_CORES" 'BEGIN{print (w > 0 && o / w > q) ? 1 : 0}')
}

row() {  # system section config fields (14: whole run, then steady state; see the header)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$rep" "$4" \
    "$WALL" "$TOOL_CPU" "$SERVER_CPU" "$OTHER_CPU" "$BG" "$WAITED" "$LOADAVG" "$NOISY" >> "$TSV"
}

NA7=$'NA\tNA\tNA\tNA\tNA\tNA\tNA'

# ---------------------------------------------------------------- one system, one repetition
create_topic() {  # name partitions
  if [[ "$CURRENT" == strata ]]; then
    strata_cli topic create "$1" --partitions "$2" --replication-factor 1 > /dev/null
  else
    kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" --create --topic "$1" \
      --partitions "$2" --replication-factor 1 > /dev/null
  fi
}

produce() {  # name topic n warmup acks comp   (sets the globals of run_measured)
  local name="$1" topic="$2" n="$3" wu="$4" acks="$5" comp="$6"
  if [[ "$CURRENT" == strata ]]; then
    local wu_args=(); (( wu > 0 )) && wu_args=(--warmup-records "$wu")
    local props=(); [[ -n "$STRATA_PRODUCER_PROPS" ]] && read -r -a props <<< "--producer-props $STRATA_PRODUCER_PROPS"
    strata_cmd "$(tool_jfr_opts "$name")"
    run_measured "$name" "${CMD[@]}" perf produce --topic "$topic" --records "$n" \
      --record-size "$RECORD_SIZE" --throughput -1 "${wu_args[@]}" --acks "$acks" --compression "$comp" \
      --batch-size "$BATCH_SIZE" --linger-ms "$LINGER_MS" "${props[@]}" --output json
  else
    local wu_args=(); (( wu > 0 )) && wu_args=(--warmup-records "$wu")
    run_measured "$name" env JAVA_HOME="$KAFKA_JAVA_HOME" bash -c "source '$KAFKA_BENCH/env.sh'; kafka_tool \"\$@\"" kafka_tool \
      org.apache.kafka.tools.ProducerPerformance --bootstrap-server "$BOOTSTRAP" --topic "$topic" \
      --num-records "$n" --record-size "$RECORD_SIZE" --throughput -1 "${wu_args[@]}" \
      --command-property acks="$acks" batch.size="$BATCH_SIZE" linger.ms="$LINGER_MS" compression.type="$comp" $KAFKA_PRODUCER_PROPS
  fi
}

produce_via_ingestion() {  # name topic n warmup acks   (Strata only; compression is the ingestion service's: lz4)
  local name="$1" topic="$2" n="$3" wu="$4" acks="$5"
  local wu_args=(); (( wu > 0 )) && wu_args=(--warmup-records "$wu")
  strata_cmd "$(tool_jfr_opts "$name")"
  run_measured "$name" "${CMD[@]}" perf produce --via ingestion --topic "$topic" --records "$n" \
    --record-size "$RECORD_SIZE" --throughput -1 "${wu_args[@]}" --acks "$acks" \
    --records-per-request "$INGESTION_RECORDS_PER_REQUEST" --requests-in-flight "$INGESTION_IN_FLIGHT" --output json
}

produce_fields() {  # name -> whole<TAB>steady (7 + 7 fields)
  local f="$RAW/$1.txt" whole steady
  if [[ "$CURRENT" == strata ]]; then
    local lines; lines=$(grep -c '^{' "$f" || true)
    whole=$(grep '^{' "$f" | head -1 | json_fields); [[ -n "$whole" ]] || whole="$NA7"
    if (( lines >= 2 )); then steady=$(grep '^{' "$f" | tail -1 | json_fields); else steady="$NA7"; fi
  else
    whole=$(pp_fields "$f" '^[0-9]+ records sent'); steady=$(pp_fields "$f" 'steady state records sent')
  fi
  printf '%s\t%s' "$whole" "$steady"
}

consume() {  # name topic n
  local name="$1" topic="$2" n="$3"
  if [[ "$CURRENT" == strata ]]; then
    strata_cmd
    run_measured "$name" "${CMD[@]}" perf consume --topic "$topic" --records "$n" \
      --timeout-ms 30000 --output json
  else
    run_measured "$name" env JAVA_HOME="$KAFKA_JAVA_HOME" bash -c "source '$KAFKA_BENCH/env.sh'; kafka_tool \"\$@\"" kafka_tool \
      org.apache.kafka.tools.ConsumerPerformance --bootstrap-server "$BOOTSTRAP" --topic "$topic" \
      --num-records "$n" --group "bench-$topic-$RANDOM" --timeout 30000
  fi
}

consume_fields() {  # name -> 7 fields (records rec_s MiB_s, no latency)
  local f="$RAW/$1.txt"
  if [[ "$CURRENT" == strata ]]; then
    grep '^{' "$f" | tail -1 | json_fields | awk -F'\t' -v OFS='\t' '{print $1,$2,$3,"NA","NA","NA","NA"}'
  else
    # start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms,
    # fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec  -> the fetch rates (excluding the group join), as run.sh
    awk -F', ' 'NF >= 10 && $1 ~ /^[0-9][0-9][0-9][0-9]-/ { printf "%d\t%.1f\t%.2f\tNA\tNA\tNA\tNA\n", $5, $10, $9; found=1; exit }
                END { if (!found) print "NA\tNA\tNA\tNA\tNA\tNA\tNA" }' "$f"
  fi
}

run_system() {
  CURRENT="$1"
  log "=== $CURRENT, repetition $rep/$REPS (load: $(cut -d' ' -f1-3 /proc/loadavg))"
  if [[ "$CURRENT" == strata ]]; then start_strata; else start_kafka; fi
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
  if [[ "$CURRENT" == strata ]]; then stop_strata; else stop_kafka; fi
  CURRENT=""
}

# ---------------------------------------------------------------- environment record
snapshot_strata
mkdir -p "$OUT/jfr"
{
  echo "date_utc: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "params: REPS=$REPS N=$N WARMUP=$WARMUP SERVER_WARMUP_N=$SERVER_WARMUP_N PARTS='$PARTS' ACKS_LIST='$ACKS_LIST' COMPS='$COMPS' RECORD_SIZE=$RECORD_SIZE BATCH_SIZE=$BATCH_SIZE LINGER_MS=$LINGER_MS SYSTEMS='$SYSTEMS' INGESTION=$INGESTION INGESTION_RECORDS_PER_REQUEST=$INGESTION_RECORDS_PER_REQUEST INGESTION_IN_FLIGHT=$INGESTION_IN_FLIGHT JFR=$JFR NOISE_CORES=$NOISE_CORES MAX_TRIES=$MAX_TRIES STRATA_PRODUCER_PROPS='$STRATA_PRODUCER_PROPS' KAFKA_PRODUCER_PROPS='$KAFKA_PRODUCER_PROPS'"
  echo "strata_java: $("$STRATA_JAVA_HOME/bin/java" -version 2>&1 | head -1)"
  echo "strata_server_opts: $STRATA_SERVER_OPTS"
  echo "strata_tool_opts: $STRATA_TOOL_OPTS"
  echo "strata_jars (copied at start): cli $(date -u -r "$APP/strata-cli.jar" +%FT%TZ), standalone $(date -u -r "$APP/standalone/quarkus-run.jar" +%FT%TZ), storage $(ls "$APP/standalone/lib/main" | grep -o 'strata-storage[^ ]*' | head -1)"
  echo "kafka_java: $("$KAFKA_JAVA_HOME/bin/java" -version 2>&1 | head -1)"
  echo "kafka_version: $(cat "$KAFKA_BENCH/lib/KAFKA_VERSION" 2>/dev/null || echo 'not fetched yet')"
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
awk -F'\t' -v reps="$REPS" -f "$STRATA_HOME/bench/produce-bench-summary.awk" "$TSV" > "$S"
{
  echo
  grep -E '^(uptime_at_start|uptime_at_end|wall_total_s):' "$OUT/env.txt" | sed 's/^/    /'
} >> "$S"
cat "$S"
log "done; results in $OUT"
