package io.strata.bench;

import java.util.Arrays;
import java.util.Locale;

/**
 * Summary of a set of measured durations, in milliseconds. Percentiles are nearest-rank: the
 * p-th percentile is the smallest sample with at least p % of the samples at or below it, so
 * it is always a measured value (p99 of 2,000 calls is the 1,980th fastest).
 */
public record Latencies(int count, double meanMs, double p50Ms, double p90Ms, double p99Ms, double maxMs) {

    /** Summarises {@code nanos} (not modified). */
    public static Latencies ofNanos(long[] nanos) {
        if (nanos.length == 0) {
            throw new IllegalArgumentException("no samples");
        }
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        double sum = 0;
        for (long n : sorted) {
            sum += n;
        }
        return new Latencies(sorted.length, sum / sorted.length / 1e6, percentile(sorted, 50) / 1e6, percentile(sorted, 90) / 1e6,
                percentile(sorted, 99) / 1e6, sorted[sorted.length - 1] / 1e6);
    }

    /**
     * Nearest-rank percentile of ascending {@code sorted}; {@code p} in [1, 100]. The rank
     * {@code ceil(p * n / 100)} is computed in integers: in doubles, 0.99 * 2000 is not 1980.
     */
    static long percentile(long[] sorted, int p) {
        if (sorted.length == 0 || p < 1 || p > 100) {
            throw new IllegalArgumentException("percentile " + p + " of " + sorted.length + " samples");
        }
        long rank = ((long) p * sorted.length + 99) / 100;
        return sorted[(int) rank - 1];
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms, mean %.2f ms (%,d calls)",
                p50Ms, p90Ms, p99Ms, maxMs, meanMs, count);
    }
}
