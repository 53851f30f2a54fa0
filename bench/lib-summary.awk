# Shared part of the summaries of results.tsv (written by lib-bench.sh's row()): reads the rows, keeps
# the clean ones, and gives medians, cells and ratios per system, section and workload. The report()
# function comes from the file given after this one:
#   awk -F'\t' -f lib-summary.awk -f produce-bench-summary.awk results.tsv
# Columns: 1 system 2 section 3 config 4 rep 5 records 6 rec_s 7 MiB_s 8 avg 9 p50 10 p99 11 p999
#          12 ss_records 13 ss_rec_s 14 ss_MiB_s 15 ss_avg 16 ss_p50 17 ss_p99 18 ss_p999
#          19 wall_s 20 tool_cpu_s 21 server_cpu_s 22 other_cpu_s 23 bg_cores_before 24 quiet_wait_s 25 loadavg_1m
#          26 noisy
# Runs marked noisy (column 26) are left out when the same system and workload has a clean run; a
# figure from noisy runs only is marked with a dagger. v[system, key, column] holds the values of a
# column, space-separated; key = section SUBSEP config, in order[1..nkeys] as first seen; v[.., 99] is
# the server CPU per record in µs.

NR == 1 { next }
{ rows[NR] = $0; if ($26 == 0) clean[$1, $2 SUBSEP $3] = 1 }
END {
  for (r = 2; r <= NR; r++) {
    split(rows[r], f, "\t")
    k = f[2] SUBSEP f[3]
    if (f[26] == 1 && ((f[1], k) in clean)) continue
    if (f[26] == 1) noisyOnly[f[1], k] = 1
    add(f)
  }
  report()
}

function add(f,   key, c) {
  key = f[2] SUBSEP f[3]
  if (!(key in seen)) { seen[key] = 1; order[++nkeys] = key }
  for (c = 5; c <= 25; c++) {
    if (f[c] != "NA" && f[c] != "") { v[f[1], key, c] = v[f[1], key, c] (v[f[1], key, c] == "" ? "" : " ") f[c] }
  }
  # server CPU per record, µs
  if (f[5] != "NA" && f[5] > 0) { v[f[1], key, 99] = v[f[1], key, 99] (v[f[1], key, 99] == "" ? "" : " ") sprintf("%.3f", f[21] * 1e6 / f[5]) }
}

function sorted(list, a,   n, i, j, t) {
  n = split(list, a, " ")
  for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
  return n
}
function median(list,   a, n) {
  n = sorted(list, a); if (n == 0) return ""
  return (n % 2) ? a[(n + 1) / 2] + 0 : (a[n / 2] + a[n / 2 + 1]) / 2
}
function fmt(x, d) { return x == "" ? "NA" : sprintf("%." d "f", x) }
function cell(sys, key, c, d,   list, a, n, m) {
  list = v[sys, key, c]; if (list == "") return "NA"
  m = fmt(median(list), d); n = sorted(list, a)
  return (n > 1 ? m " (" fmt(a[1], d) "–" fmt(a[n], d) ")" : m) (((sys, key) in noisyOnly) ? " †" : "")
}
function ratio(key, c,   s, k) {
  s = median(v["strata", key, c]); k = median(v["kafka", key, c])
  return (s == "" || k == "" || k == 0) ? "NA" : sprintf("**%.2f×**", s / k)
}
function ratio2(skey, kkey, c,   s, k) {
  s = median(v["strata", skey, c]); k = median(v["kafka", kkey, c])
  return (s == "" || k == "" || k == 0) ? "NA" : sprintf("**%.2f×**", s / k)
}
function configOf(key) { split(key, p, SUBSEP); return p[2] }
function sectionOf(key) { split(key, p, SUBSEP); return p[1] }


# The CPU and background-load table of every row (section, workload, per system), as markdown.
function cpu_table(   i, k, s, sys) {
  print "### CPU and background load per run (core-seconds; server µs/record = server CPU / records)"
  print ""
  print "| system | section | workload | wall s | tool CPU s | server CPU s | server µs/record | other CPU s | bg cores before | quiet wait s | loadavg 1m |"
  print "|---|---|---|---|---|---|---|---|---|---|---|"
  for (i = 1; i <= nkeys; i++) {
    k = order[i]
    for (s = 1; s <= 2; s++) {
      sys = (s == 1) ? "strata" : "kafka"
      if (v[sys, k, 19] == "" && v[sys, k, 5] == "") continue
      printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", sys, sectionOf(k), configOf(k), cell(sys, k, 19, 1),
        cell(sys, k, 20, 1), cell(sys, k, 21, 1), cell(sys, k, 99, 2), cell(sys, k, 22, 1), cell(sys, k, 23, 2),
        cell(sys, k, 24, 0), cell(sys, k, 25, 2)
    }
  }
}
