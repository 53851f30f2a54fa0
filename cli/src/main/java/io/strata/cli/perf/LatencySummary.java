package io.strata.cli.perf;

/**
 * The latency figures of one measurement, in milliseconds.
 *
 * @param avgMs  exact mean
 * @param p50Ms  median
 * @param p95Ms  95th percentile
 * @param p99Ms  99th percentile
 * @param p999Ms 99.9th percentile
 * @param maxMs  largest
 */
record LatencySummary(double avgMs, double p50Ms, double p95Ms, double p99Ms, double p999Ms, double maxMs) {

    static LatencySummary of(LatencyHistogram h) {
        return new LatencySummary(h.mean() / 1e3, h.percentile(0.50) / 1e3, h.percentile(0.95) / 1e3,
                h.percentile(0.99) / 1e3, h.percentile(0.999) / 1e3, h.max() / 1e3);
    }
}
