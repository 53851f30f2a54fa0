# results.tsv of bench/run-replication-bench.sh -> markdown: Strata (3 storage nodes) and Kafka (3 brokers),
# RF 3, acks=all, side by side with ratios (Strata / Kafka) and the replication issue's targets
# (records/s >= 1.0x Kafka's, p99 <= Kafka's), median over repetitions (min–max when there are several).
# The rows, medians and cells are lib-summary.awk's (columns listed there).
# Usage: awk -F'\t' -f lib-summary.awk -f replication-bench-summary.awk results.tsv

function verdict(key, c, higherIsBetter,   s, k) {
  s = median(v["strata", key, c]); k = median(v["kafka", key, c])
  if (s == "" || k == "") return "NA"
  return (higherIsBetter ? s >= k : s <= k) ? "met" : "MISSED"
}

function table(title, cRec, cMib, cAvg, cP50, cP99, cP999,   i, k) {
  print "### " title
  print ""
  print "| workload | Strata rec/s | Kafka rec/s | Strata/Kafka | target ≥ 1.0× | Strata MiB/s | Kafka MiB/s | Strata p50 / p99 / p99.9 ms | Kafka p50 / p99 / p99.9 ms | Strata/Kafka p99 | target p99 ≤ Kafka |"
  print "|---|---|---|---|---|---|---|---|---|---|---|"
  for (i = 1; i <= nkeys; i++) {
    k = order[i]; if (sectionOf(k) != "r") continue
    printf "| %s | %s | %s | %s | %s | %s | %s | %s / %s / %s | %s / %s / %s | %s | %s |\n", configOf(k),
      cell("strata", k, cRec, 0), cell("kafka", k, cRec, 0), ratio(k, cRec), verdict(k, cRec, 1),
      cell("strata", k, cMib, 2), cell("kafka", k, cMib, 2),
      cell("strata", k, cP50, 1), cell("strata", k, cP99, 1), cell("strata", k, cP999, 1),
      cell("kafka", k, cP50, 1), cell("kafka", k, cP99, 1), cell("kafka", k, cP999, 1), ratio(k, cP99), verdict(k, cP99, 0)
  }
  print ""
}

function report(   i, k, s, sys) {
  table("Replicated produce, whole run (RF 3, min.insync.replicas 2, acks=all; incl. the client's JIT warm-up)", 6, 7, 8, 9, 10, 11)
  table("Replicated produce, steady state (records after --warmup-records)", 13, 14, 15, 16, 17, 18)
  print "### CPU and background load per run (core-seconds; servers = every process of the cluster)"
  print ""
  print "| system | workload | wall s | tool CPU s | servers CPU s | servers µs/record | other CPU s | bg cores before | quiet wait s | loadavg 1m |"
  print "|---|---|---|---|---|---|---|---|---|---|"
  for (i = 1; i <= nkeys; i++) {
    k = order[i]
    for (s = 1; s <= 2; s++) {
      sys = (s == 1) ? "strata" : "kafka"
      if (v[sys, k, 19] == "" && v[sys, k, 5] == "") continue
      printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", sys, configOf(k), cell(sys, k, 19, 1),
        cell(sys, k, 20, 1), cell(sys, k, 21, 1), cell(sys, k, 99, 2), cell(sys, k, 22, 1), cell(sys, k, 23, 2),
        cell(sys, k, 24, 0), cell(sys, k, 25, 2)
    }
  }
  print ""
  print "Latency = send() to acknowledgement per record, incl. time queued in the producer (as Kafka's ProducerPerformance)."
  print "† only noisy runs (other processes used more than NOISE_CORES cores on average during the run)."
}
