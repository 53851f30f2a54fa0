# Shell functions shared by the Strata-vs-Kafka benchmarks (run-produce-bench.sh,
# run-replication-bench.sh, run-failover-bench.sh, run-consume-group-bench.sh, run-rebalance-bench.sh,
# run-commit-rate-bench.sh). Source it after setting STRATA_HOME and OUT;
# every knob below can be overridden from the environment (the scripts document them).
#
# What it provides:
#   log                          timestamped line on stderr and in OUT/run.log
#   snapshot_strata ROLE...      copy the built CLI and the roles' Quarkus apps into APP (a minimal
#                                Strata home: APP/cli/target, APP/services/ROLE/target/quarkus-app), so
#                                that builds by others during a run neither change what is measured nor
#                                make bin/strata rebuild; strata_cmd/strata_cli run the CLI from it
#   kafka_java MAINCLASS ...     a Kafka tool with the JVM flags of Kafka's scripts (KAFKA_BENCH/env.sh)
#   wait_quiet, run_measured     quiet gate and CPU accounting around one tool run; the "server" is every
#                                pid in SERVER_PIDS (one standalone, or all processes of a cluster)
#   standalone_up, standalone_down   a fresh Strata standalone from the copy (free port, temp data dir)
#   kafka_up, kafka_down         a fresh single Kafka broker (KAFKA_BENCH/broker.sh)
#   create_topic, produce        the same topic and producer workload on CURRENT=strata|kafka
#   consume, consume_fields      the consumer workload (strata perf consume / ConsumerPerformance), assign or group mode
#   row, check_noise, ...        one results.tsv line per run (columns: see results_header)
# shellcheck shell=bash

: "${QUIET_CORES:=0.30}"
: "${QUIET_MAX_WAIT:=60}"
# A run during which other processes used more than NOISE_CORES cores on average is marked noisy.
: "${NOISE_CORES:=0.50}"
: "${MAX_TRIES:=3}"
: "${TOOL_TIMEOUT:=600}"
: "${JFR:=0}"
: "${RECORD_SIZE:=100}"
: "${BATCH_SIZE:=65536}"
: "${LINGER_MS:=5}"
# Records/s each producer run is held to (-1: as fast as it can, the targets' runs); both tools take --throughput.
: "${THROUGHPUT:=-1}"
: "${STRATA_PRODUCER_PROPS:=}"
: "${KAFKA_PRODUCER_PROPS:=}"
# Extra `strata perf consume` arguments, and extra ConsumerPerformance --command-property KEY=VALUE pairs
# (space-separated, e.g. KAFKA_CONSUMER_PROPS=group.protocol=consumer), for every consume run.
: "${STRATA_CONSUMER_ARGS:=}"
: "${KAFKA_CONSUMER_PROPS:=}"
: "${CONSUME_TIMEOUT_MS:=30000}"
: "${KAFKA_BENCH:=$(cd "$STRATA_HOME/.." && pwd)/shared/bench/kafka}"
: "${KAFKA_JAVA_HOME:=/usr/lib/jvm/java-17-openjdk-amd64}"
: "${STRATA_JAVA_HOME:=/usr/lib/jvm/temurin-25-jdk-amd64}"
G1_FLAGS="-XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent"
# The servers' JVM flags (the standalone, or every role of a cluster); default Kafka's broker heap.
: "${STRATA_SERVER_OPTS:=-Xms1G -Xmx1G}"
# bin/strata starts CLI commands with -XX:+UseSerialGC -XX:TieredStopAtLevel=1 (fast start); a load
# generator needs the C2 JIT, and gets the JVM flags of Kafka's kafka-producer-perf-test.sh.
: "${STRATA_TOOL_OPTS:=-XX:TieredStopAtLevel=4 -XX:-UseSerialGC -Xmx512M $G1_FLAGS}"

RAW="$OUT/raw"
APP="$OUT/app"
mkdir -p "$RAW"
HZ=$(getconf CLK_TCK)
STRATA_JAVA="$STRATA_JAVA_HOME/bin/java"
# What bin/strata puts on every java command line (JDK 23+), then its CLI-only flags.
BASE_FLAGS=(--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow)
# bin/strata's server GC settings (Kafka's broker defaults), for the standalone started below.
SERVER_GC_FLAGS=(-XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent)
CURRENT=""          # the system under test: strata or kafka
SERVER_PIDS=""      # its processes, for the CPU accounting and the quiet gate
BOOTSTRAP=""        # what its clients connect to

log() { echo "[$(date -u +%H:%M:%S)] $*" | tee -a "$OUT/run.log" >&2; }

free_port() {  # a port p with p and p+1 free (the standalone serves health on gRPC port + 1)
  local p i
  for i in $(seq 1 50); do
    p=$(( 20000 + RANDOM % 20000 ))
    if ! ss -Hltn "( sport = :$p or sport = :$((p + 1)) )" | grep -q .; then echo "$p"; return 0; fi
  done
  echo "no free port found" >&2; return 1
}

# ---------------------------------------------------------------- Strata from a copy of the build
snapshot_strata() {  # ROLE... (standalone, coordination, storage, replication, groups, ingestion)
  local cli="$STRATA_HOME/cli/target/strata-cli.jar" role app
  [[ -f "$cli" ]] || { echo "build first: ./mvnw install -DskipTests" >&2; exit 1; }
  for role in "$@"; do
    [[ -f "$STRATA_HOME/services/$role/target/quarkus-app/quarkus-run.jar" ]] \
      || { echo "build first: ./mvnw install -DskipTests (no $role app)" >&2; exit 1; }
  done
  mkdir -p "$APP/cli/target"
  cp "$cli" "$APP/cli/target/strata-cli.jar"
  for role in "$@"; do
    app="$APP/services/$role/target"
    mkdir -p "$app"
    cp -r "$STRATA_HOME/services/$role/target/quarkus-app" "$app/quarkus-app"
  done
}
strata_app_jar() { echo "$APP/services/$1/target/quarkus-app/quarkus-run.jar"; }
strata_jars_info() {  # one line for env.txt: when the copied jars were built
  local role out="cli $(date -u -r "$APP/cli/target/strata-cli.jar" +%FT%TZ)"
  for role in $(ls "$APP/services"); do out="$out, $role $(date -u -r "$(strata_app_jar "$role")" +%FT%TZ)"; done
  echo "$out, storage $(ls "$APP/services/$(ls "$APP/services" | head -1)/target/quarkus-app/lib/main" | grep -o 'strata-storage[^ ]*' | head -1)"
}

# CMD = the java command of `STRATA_CLI_JAVA_OPTS="$STRATA_TOOL_OPTS $1" bin/strata [--bootstrap $BOOTSTRAP]`,
# with strata.home = the copy (where `cluster up` finds the roles' apps)
strata_cmd() {
  # shellcheck disable=SC2206
  CMD=("$STRATA_JAVA" "${BASE_FLAGS[@]}" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 $STRATA_TOOL_OPTS ${1:-}
       -Dstrata.home="$APP" -jar "$APP/cli/target/strata-cli.jar")
  if [[ -n "$BOOTSTRAP" ]]; then CMD+=(--bootstrap "$BOOTSTRAP"); fi
}
strata_cli() { strata_cmd; "${CMD[@]}" "$@"; }
# ADMIN_CMD = a short CLI command (topic, cluster) as bin/strata runs it: fast-start flags, no
# load-generator flags, [--bootstrap $BOOTSTRAP]
strata_admin_cmd() {
  ADMIN_CMD=("$STRATA_JAVA" "${BASE_FLAGS[@]}" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Dstrata.home="$APP"
             -jar "$APP/cli/target/strata-cli.jar")
  if [[ -n "$BOOTSTRAP" ]]; then ADMIN_CMD+=(--bootstrap "$BOOTSTRAP"); fi
}
strata_admin() { strata_admin_cmd; "${ADMIN_CMD[@]}" "$@"; }

# Strata local cluster (`bin/strata cluster up`) in a fresh temp dir from the copy; sets CLUSTER_DIR,
# BOOTSTRAP and SERVER_PIDS (every process of the cluster). Extra `cluster up` options as arguments;
# every role gets STRATA_SERVER_OPTS as its STRATA_JAVA_OPTS.
cluster_up() {
  CLUSTER_DIR="$(mktemp -d "${STRATA_BENCH_DIR:-/tmp}/strata-bench-cluster-XXXXXX")"
  BOOTSTRAP=""
  echo "STRATA_JAVA_OPTS='$STRATA_SERVER_OPTS' bin/strata cluster up --dir $CLUSTER_DIR $*" >> "$OUT/commands.txt"
  if ! STRATA_JAVA_OPTS="$STRATA_SERVER_OPTS" strata_admin cluster up --dir "$CLUSTER_DIR" "$@" >&2; then
    log "cluster up failed (logs: $CLUSTER_DIR/logs)"; return 1
  fi
  BOOTSTRAP="$(sed -n 's/^ *"bootstrap" *: *"\([^"]*\)".*/\1/p' "$CLUSTER_DIR/cluster.json" | head -1)"
  cluster_pids
  log "strata cluster up on $BOOTSTRAP (dir $CLUSTER_DIR, pids $SERVER_PIDS)"
}
cluster_pids() {  # SERVER_PIDS = the pids cluster.json lists now (a restarted node gets a new one)
  SERVER_PIDS="$(grep -o '"pid" *: *[0-9]*' "$CLUSTER_DIR/cluster.json" | grep -o '[0-9]*$' | tr '\n' ' ')"
}
# `cluster down`, then its logs -> $1 and the directory deleted (kept when down fails)
cluster_down() {  # LOG_COPY_DIR
  [[ -n "${CLUSTER_DIR:-}" ]] || return 0
  if strata_admin cluster down --dir "$CLUSTER_DIR" >&2; then
    mkdir -p "$1"; cp -r "$CLUSTER_DIR/logs/." "$1/" 2>/dev/null || true
    rm -rf "$CLUSTER_DIR"
  else
    log "cluster down failed; left $CLUSTER_DIR (its cluster.json lists the processes)"
  fi
  CLUSTER_DIR=""; SERVER_PIDS=""; BOOTSTRAP=""
}

# ---------------------------------------------------------------- one server of each system
# A fresh standalone from the copy (snapshot_strata standalone first) on a free port, data in a temp dir
# (deleted by standalone_down); its log is RAW/standalone-r$rep.log. Sets BOOTSTRAP, SERVER_PIDS,
# STRATA_DATA. The java command line is `STRATA_JAVA_OPTS=$STRATA_SERVER_OPTS bin/strata standalone`'s.
STRATA_DATA=""
standalone_up() {
  local port; port=$(free_port)
  STRATA_DATA="$(mktemp -d "${STRATA_BENCH_DIR:-/tmp}/strata-bench-standalone-XXXXXX")"
  BOOTSTRAP="127.0.0.1:$port"
  echo "STRATA_JAVA_OPTS='$STRATA_SERVER_OPTS' bin/strata standalone --data-dir $STRATA_DATA --port $port" >> "$OUT/commands.txt"
  # shellcheck disable=SC2086
  setsid "$STRATA_JAVA" "${BASE_FLAGS[@]}" "${SERVER_GC_FLAGS[@]}" $STRATA_SERVER_OPTS -jar "$(strata_app_jar standalone)" \
    --data-dir "$STRATA_DATA" --port "$port" > "$RAW/standalone-r${rep:-1}.log" 2>&1 < /dev/null &
  SERVER_PIDS=$!
  local i
  for i in $(seq 1 120); do
    if ! kill -0 "$SERVER_PIDS" 2>/dev/null; then log "standalone died during start-up"; tail -20 "$RAW/standalone-r${rep:-1}.log" >&2; return 1; fi
    if grep -q "Strata standalone ready" "$RAW/standalone-r${rep:-1}.log"; then
      log "strata standalone up on $BOOTSTRAP (pid $SERVER_PIDS, data $STRATA_DATA, ${i}s)"; return 0
    fi
    sleep 1
  done
  log "standalone not ready after 120 s"; return 1
}

standalone_down() {  # TERM (KILL after 30 s), then the data dir is deleted
  local spid="$SERVER_PIDS"
  if [[ -n "$spid" ]] && kill -0 "$spid" 2>/dev/null; then
    kill -TERM "$spid"
    local i
    for i in $(seq 1 30); do kill -0 "$spid" 2>/dev/null || break; sleep 1; done
    if kill -0 "$spid" 2>/dev/null; then log "standalone $spid still alive after 30 s: KILL"; kill -KILL "$spid"; fi
  fi
  SERVER_PIDS=""; BOOTSTRAP=""
  if [[ -n "$STRATA_DATA" ]]; then rm -rf "$STRATA_DATA"; STRATA_DATA=""; fi
}

kafka_broker() { JAVA_HOME="$KAFKA_JAVA_HOME" "$KAFKA_BENCH/broker.sh" "$@"; }

kafka_up() {  # a fresh single broker (fetching Kafka first if needed); sets SERVER_PIDS, BOOTSTRAP
  kafka_fetch
  kafka_broker start >&2
  SERVER_PIDS="$(JAVA_HOME="$KAFKA_JAVA_HOME" bash -c "source '$KAFKA_BENCH/env.sh'; cat \"\$BROKER_PID_FILE\"")"
  BOOTSTRAP="$(JAVA_HOME="$KAFKA_JAVA_HOME" bash -c "source '$KAFKA_BENCH/env.sh'; echo \"\$BOOTSTRAP\"")"
}

kafka_down() {  # stops the broker and deletes its data
  if [[ -n "$SERVER_PIDS" ]]; then kafka_broker stop >&2 || true; fi
  SERVER_PIDS=""; BOOTSTRAP=""
}

kafka_java() {  # a Kafka tool main class with the flags of Kafka's scripts (env.sh)
  JAVA_HOME="$KAFKA_JAVA_HOME" bash -c "source '$KAFKA_BENCH/env.sh'; kafka_tool \"\$@\"" kafka_tool "$@"
}
kafka_fetch() { JAVA_HOME="$KAFKA_JAVA_HOME" "$KAFKA_BENCH/fetch.sh" >&2; }
kafka_version() { cat "$KAFKA_BENCH/lib/KAFKA_VERSION" 2>/dev/null || echo 'not fetched yet'; }

# ---------------------------------------------------------------- measurement helpers
server_ticks() {  # user+sys ticks of every pid in SERVER_PIDS (0 for one that is gone)
  local p t=0 v
  for p in $SERVER_PIDS; do
    v=$(awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null || echo 0)
    t=$(( t + v ))
  done
  echo "$t"
}
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

# NOISY=1 when other processes used more than NOISE_CORES cores on average during the last run
check_noise() {
  NOISY=$(awk -v o="$OTHER_CPU" -v w="$WALL" -v q="$NOISE_CORES" 'BEGIN{print (w > 0 && o / w > q) ? 1 : 0}')
}

jfr_start() {  # NAME: JFR of the (single) Strata server for one run (JFR=1 only)
  [[ "$JFR" == 1 && "$CURRENT" == strata ]] || return 0
  mkdir -p "$OUT/jfr"
  jcmd "${SERVER_PIDS%% *}" JFR.start name="$1" settings=profile filename="$OUT/jfr/server-$1.jfr" > /dev/null
}
jfr_stop() {
  [[ "$JFR" == 1 && "$CURRENT" == strata ]] || return 0
  jcmd "${SERVER_PIDS%% *}" JFR.stop name="$1" > /dev/null || true
}
tool_jfr_opts() {  # NAME: the client's JFR flags (JFR=1 only)
  [[ "$JFR" == 1 ]] && mkdir -p "$OUT/jfr" && echo "-XX:StartFlightRecording=filename=$OUT/jfr/client-$1.jfr,settings=profile" || true
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

NA7=$'NA\tNA\tNA\tNA\tNA\tNA\tNA'

# results.tsv: one line per measured run, read by lib-summary.awk
results_header() {  # FILE
  TSV="$1"
  printf 'system\tsection\tconfig\trep\trecords\trec_s\tMiB_s\tavg_ms\tp50_ms\tp99_ms\tp999_ms\tss_records\tss_rec_s\tss_MiB_s\tss_avg_ms\tss_p50_ms\tss_p99_ms\tss_p999_ms\twall_s\ttool_cpu_s\tserver_cpu_s\tother_cpu_s\tbg_cores_before\tquiet_wait_s\tloadavg_1m\tnoisy\n' > "$TSV"
}
row() {  # system section config fields (14: whole run, then steady state; see the header)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$rep" "$4" \
    "$WALL" "$TOOL_CPU" "$SERVER_CPU" "$OTHER_CPU" "$BG" "$WAITED" "$LOADAVG" "$NOISY" >> "$TSV"
}

# ---------------------------------------------------------------- the workload, on either system
create_topic() {  # name partitions [replication factor (1)] [min.insync.replicas (server default)]
  local rf="${3:-1}" isr=()
  if [[ "$CURRENT" == strata ]]; then
    [[ -n "${4:-}" ]] && isr=(--config "min.insync.replicas=$4")
    strata_admin topic create "$1" --partitions "$2" --replication-factor "$rf" "${isr[@]}" > /dev/null
  else
    [[ -n "${4:-}" ]] && isr=(--config "min.insync.replicas=$4")
    kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" --create --topic "$1" \
      --partitions "$2" --replication-factor "$rf" "${isr[@]}" > /dev/null
  fi
}

produce() {  # name topic n warmup acks comp   (sets the globals of run_measured)
  local name="$1" topic="$2" n="$3" wu="$4" acks="$5" comp="$6"
  local wu_args=(); (( wu > 0 )) && wu_args=(--warmup-records "$wu")
  if [[ "$CURRENT" == strata ]]; then
    local props=(); [[ -n "$STRATA_PRODUCER_PROPS" ]] && read -r -a props <<< "--producer-props $STRATA_PRODUCER_PROPS"
    strata_cmd "$(tool_jfr_opts "$name")"
    run_measured "$name" "${CMD[@]}" perf produce --topic "$topic" --records "$n" \
      --record-size "$RECORD_SIZE" --throughput "$THROUGHPUT" "${wu_args[@]}" --acks "$acks" --compression "$comp" \
      --batch-size "$BATCH_SIZE" --linger-ms "$LINGER_MS" "${props[@]}" --output json
  else
    # shellcheck disable=SC2086
    run_measured "$name" env JAVA_HOME="$KAFKA_JAVA_HOME" bash -c "source '$KAFKA_BENCH/env.sh'; kafka_tool \"\$@\"" kafka_tool \
      org.apache.kafka.tools.ProducerPerformance --bootstrap-server "$BOOTSTRAP" --topic "$topic" \
      --num-records "$n" --record-size "$RECORD_SIZE" --throughput "$THROUGHPUT" "${wu_args[@]}" \
      --command-property acks="$acks" batch.size="$BATCH_SIZE" linger.ms="$LINGER_MS" compression.type="$comp" $KAFKA_PRODUCER_PROPS
  fi
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

# consume NAME TOPIC N [GROUP]   (sets the globals of run_measured)
# Without GROUP: Strata in assign mode (every partition from the beginning); Kafka's tool always joins a
# group, a fresh random one. With GROUP: both as a member of GROUP (`strata perf consume --group`,
# ConsumerPerformance --group), which must be fresh to read from the beginning. Both stop after N records
# or CONSUME_TIMEOUT_MS without one; STRATA_CONSUMER_ARGS and KAFKA_CONSUMER_PROPS are added.
consume() {
  local name="$1" topic="$2" n="$3" group="${4:-}"
  if [[ "$CURRENT" == strata ]]; then
    local group_args=() extra=()
    [[ -n "$group" ]] && group_args=(--group "$group")
    # shellcheck disable=SC2206
    [[ -n "$STRATA_CONSUMER_ARGS" ]] && extra=($STRATA_CONSUMER_ARGS)
    strata_cmd
    run_measured "$name" "${CMD[@]}" perf consume --topic "$topic" --records "$n" "${group_args[@]}" "${extra[@]}" \
      --timeout-ms "$CONSUME_TIMEOUT_MS" --output json
  else
    local props=() kv
    for kv in $KAFKA_CONSUMER_PROPS; do props+=(--command-property "$kv"); done
    run_measured "$name" env JAVA_HOME="$KAFKA_JAVA_HOME" bash -c "source '$KAFKA_BENCH/env.sh'; kafka_tool \"\$@\"" kafka_tool \
      org.apache.kafka.tools.ConsumerPerformance --bootstrap-server "$BOOTSTRAP" --topic "$topic" \
      --num-records "$n" --group "${group:-bench-$topic-$RANDOM}" --timeout "$CONSUME_TIMEOUT_MS" "${props[@]}"
  fi
}

consume_fields() {  # name -> 7 fields (records rec_s MiB_s, no latency)
  local f="$RAW/$1.txt"
  if [[ "$CURRENT" == strata ]]; then
    local line; line=$(grep '^{' "$f" | tail -1 | json_fields)
    if [[ -n "$line" ]]; then echo "$line" | awk -F'\t' -v OFS='\t' '{print $1,$2,$3,"NA","NA","NA","NA"}'; else echo "$NA7"; fi
  else
    # start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms,
    # fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec  -> the fetch rates (excluding the group join), as run.sh
    awk -F', ' 'NF >= 10 && $1 ~ /^[0-9][0-9][0-9][0-9]-/ { printf "%d\t%.1f\t%.2f\tNA\tNA\tNA\tNA\n", $5, $10, $9; found=1; exit }
                END { if (!found) print "NA\tNA\tNA\tNA\tNA\tNA\tNA" }' "$f"
  fi
}

# consume_join_ms NAME -> the group join the rate leaves out, in ms (NA when not reported): Strata's
# "Joined group G: N partitions after J ms" (stderr), Kafka's rebalance.time.ms column
consume_join_ms() {
  if [[ "$CURRENT" == strata ]]; then
    sed -n 's/.*Joined group .*: [0-9]* partitions after \([0-9]*\) ms.*/\1/p' "$RAW/$1.err" | head -1 | grep . || echo NA
  else
    awk -F', ' 'NF >= 10 && $1 ~ /^[0-9][0-9][0-9][0-9]-/ { print $7 + 0; found=1; exit } END { if (!found) print "NA" }' "$RAW/$1.txt"
  fi
}
