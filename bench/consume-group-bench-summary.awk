# results.tsv of bench/run-consume-group-bench.sh -> markdown: the group consumer of Strata and Kafka
# side by side, ratio Strata / Kafka, median over repetitions (min–max when there are several). Sections:
#   g  both systems, a member of a fresh group (strata perf consume --group / ConsumerPerformance --group)
#   k  Strata only, the same with --commit (commitAsync after every poll), against Kafka's g row
#   c  Strata only, assign mode (no group), against Kafka's g row
# Usage: awk -F'\t' -f lib-summary.awk -f consume-group-bench-summary.awk results.tsv

function report(   i, k, kg, label) {
  print "### Consumer in a group, reading N records from the beginning (rate excludes the group join on both sides)"
  print ""
  print "| workload | Strata rec/s | Kafka rec/s | Strata/Kafka | Strata MiB/s | Kafka MiB/s |"
  print "|---|---|---|---|---|---|"
  for (i = 1; i <= nkeys; i++) {
    k = order[i]; if (sectionOf(k) != "g") continue
    printf "| %s | %s | %s | %s | %s | %s |\n", configOf(k), cell("strata", k, 6, 0), cell("kafka", k, 6, 0), ratio(k, 6),
      cell("strata", k, 7, 1), cell("kafka", k, 7, 1)
  }
  print ""
  print "### Strata variants against Kafka's group consumer (same data)"
  print ""
  print "| Strata variant | workload | Strata rec/s | Kafka rec/s (group) | Strata/Kafka |"
  print "|---|---|---|---|---|"
  for (i = 1; i <= nkeys; i++) {
    k = order[i]
    if (sectionOf(k) == "k") label = "group, --commit (commitAsync per poll)"
    else if (sectionOf(k) == "c") label = "assign mode (no group)"
    else continue
    kg = "g" SUBSEP configOf(k)
    printf "| %s | %s | %s | %s | %s |\n", label, configOf(k), cell("strata", k, 6, 0), cell("kafka", kg, 6, 0), ratio2(k, kg, 6)
  }
  print ""
  cpu_table()
  print ""
  print "† only noisy runs (other processes used more than NOISE_CORES cores on average during the run)."
}
