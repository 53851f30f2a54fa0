#!/usr/bin/env bash
# Coordination benchmarks against a real multi-process cluster (etcd, coordination and three
# storage nodes, each its own process, started by `strata cluster up`):
#   (b) create 1,000 topics of 10 partitions through CreateTopic: topics/s, partitions/s;
#   (a) GetMetadata for all topics with those 10,000 partitions in the cluster, 2,000 calls
#       from one thread and from 4: p50/p99/max; target p99 < 50 ms;
#   (c) kill -9 storage nodes 1 and 2, SIGSTOP node 3 (a hung node), and time until GetMetadata
#       stops listing each; target: within the session timeout (6000 ms) + 1 s.
# The cluster lives in a fresh directory under STRATA_BENCH_DIR (default /tmp), which is
# deleted after `cluster down`; STRATA_SESSION_TIMEOUT_MS (default 6000) is given to both the
# cluster and the bench. Takes about 4 minutes.
# Usage: bench/run-cluster-bench.sh [ClusterMetadataBench options, e.g. --topics 100]
#        (results in bench/target/results/cluster-bench.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -d /usr/lib/jvm/temurin-25-jdk-amd64 ]] && export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
[[ -f bench/target/benchmarks.jar ]] || ./mvnw -q -B install -DskipTests
STRATA="${STRATA:-bin/strata}"
OUT=bench/target/results
mkdir -p "$OUT"
SESSION_TIMEOUT_MS="${STRATA_SESSION_TIMEOUT_MS:-6000}"
DIR="$(mktemp -d "${STRATA_BENCH_DIR:-/tmp}/strata-cluster-bench-XXXXXX")"

cleanup() {
  if "$STRATA" cluster down --dir "$DIR"; then
    rm -rf "$DIR"
  else
    echo "cluster down failed; left $DIR (its cluster.json lists the processes)" >&2
  fi
}
trap cleanup EXIT

"$STRATA" cluster up --dir "$DIR" --storage-nodes 3 --session-timeout-ms "$SESSION_TIMEOUT_MS"
"$JAVA" --sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED \
  -Djava.util.logging.manager=org.jboss.logmanager.LogManager \
  -cp bench/target/benchmarks.jar io.strata.bench.ClusterMetadataBench \
  --cluster-dir "$DIR" --session-timeout-ms "$SESSION_TIMEOUT_MS" --kill-node 1,2 --freeze-node 3 "$@" | tee "$OUT/cluster-bench.txt"
