# results.tsv of bench/run-produce-bench.sh -> markdown: Strata and Kafka side by side with ratios
# (Strata / Kafka), median over repetitions (min–max when there are several). The rows, medians and
# cells are lib-summary.awk's (columns listed there).
# Usage: awk -F'\t' -f lib-summary.awk -f produce-bench-summary.awk results.tsv

function report(   i, k, ka) {
  print "### Producer, whole run (incl. the client's JIT warm-up)"
  print ""
  print "| workload | Strata rec/s | Kafka rec/s | Strata/Kafka | Strata p99 ms | Kafka p99 ms | Strata/Kafka p99 | Strata avg / p50 / p99.9 ms | Kafka avg / p50 / p99.9 ms |"
  print "|---|---|---|---|---|---|---|---|---|"
  for (i = 1; i <= nkeys; i++) {
    k = order[i]; if (sectionOf(k) != "a") continue
    printf "| %s | %s | %s | %s | %s | %s | %s | %s / %s / %s | %s / %s / %s |\n", configOf(k),
      cell("strata", k, 6, 0), cell("kafka", k, 6, 0), ratio(k, 6), cell("strata", k, 10, 1), cell("kafka", k, 10, 1), ratio(k, 10),
      cell("strata", k, 8, 1), cell("strata", k, 9, 1), cell("strata", k, 11, 1), cell("kafka", k, 8, 1), cell("kafka", k, 9, 1), cell("kafka", k, 11, 1)
  }
  print ""
  print "### Producer, steady state (records after --warmup-records)"
  print ""
  print "| workload | Strata rec/s | Kafka rec/s | Strata/Kafka | Strata p99 ms | Kafka p99 ms | Strata/Kafka p99 | Strata avg / p50 / p99.9 ms | Kafka avg / p50 / p99.9 ms |"
  print "|---|---|---|---|---|---|---|---|---|"
  for (i = 1; i <= nkeys; i++) {
    k = order[i]; if (sectionOf(k) != "a") continue
    printf "| %s | %s | %s | %s | %s | %s | %s | %s / %s / %s | %s / %s / %s |\n", configOf(k),
      cell("strata", k, 13, 0), cell("kafka", k, 13, 0), ratio(k, 13), cell("strata", k, 17, 1), cell("kafka", k, 17, 1), ratio(k, 17),
      cell("strata", k, 15, 1), cell("strata", k, 16, 1), cell("strata", k, 18, 1), cell("kafka", k, 15, 1), cell("kafka", k, 16, 1), cell("kafka", k, 18, 1)
  }
  print ""
  print "### Through the ingestion service (thin client) vs Kafka's producer, same workload"
  print ""
  print "| workload | Strata via ingestion rec/s | Kafka rec/s | Strata/Kafka | steady: Strata rec/s | steady: Kafka rec/s | steady: Strata/Kafka | Strata p99 ms | Kafka p99 ms |"
  print "|---|---|---|---|---|---|---|---|---|"
  for (i = 1; i <= nkeys; i++) {
    k = order[i]; if (sectionOf(k) != "i") continue
    ka = "a" SUBSEP configOf(k)
    printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", configOf(k),
      cell("strata", k, 6, 0), cell("kafka", ka, 6, 0), ratio2(k, ka, 6),
      cell("strata", k, 13, 0), cell("kafka", ka, 13, 0), ratio2(k, ka, 13), cell("strata", k, 10, 1), cell("kafka", ka, 10, 1)
  }
  print ""
  print "### Consumer (from the beginning; Kafka: ConsumerPerformance fetch rate, excl. group join)"
  print ""
  print "| workload | Strata rec/s | Kafka rec/s | Strata/Kafka | Strata MiB/s | Kafka MiB/s |"
  print "|---|---|---|---|---|---|"
  for (i = 1; i <= nkeys; i++) {
    k = order[i]; if (sectionOf(k) != "c") continue
    printf "| %s | %s | %s | %s | %s | %s |\n", configOf(k), cell("strata", k, 6, 0), cell("kafka", k, 6, 0), ratio(k, 6),
      cell("strata", k, 7, 1), cell("kafka", k, 7, 1)
  }
  print ""
  cpu_table()
  print ""
  print "† only noisy runs (other processes used more than NOISE_CORES cores on average during the run)."
}
