package io.strata.cli.perf;

/**
 * A fixed-size log-linear histogram of non-negative latencies in microseconds, for the perf
 * commands' percentiles: every value is counted (Kafka's ProducerPerformance samples at most
 * 500,000 and keeps whole milliseconds).
 *
 * <p>Layout (as HdrHistogram with 2 significant digits): values below {@value #SUB_BUCKETS} µs
 * have a bucket each; above, every power-of-two range {@code [2^e, 2^(e+1))} is cut into
 * {@value #HALF} equal buckets, so a bucket spans less than 1/{@value #HALF} (1.6 %) of its
 * values. 3,712 counters (29 KiB) cover every {@code long}. {@link #percentile} answers the
 * highest value of the bucket holding the nearest-rank sample, capped at the largest value
 * recorded: never below the true percentile, at most 1.6 % above it.
 *
 * <p>Not thread-safe: {@link PerfStats} records under its own lock.
 */
final class LatencyHistogram {

    /** Values below this have a bucket of their own (exact). */
    static final int SUB_BUCKETS = 128;
    private static final int HALF = SUB_BUCKETS / 2;
    private static final int SUB_BITS = 7; // log2(SUB_BUCKETS)

    private final long[] counts = new long[bucketIndex(Long.MAX_VALUE) + 1];
    private long count;
    private long sum;
    private long max;

    /** Counts one latency; negative values (a clock that went back) count as 0. */
    void record(long micros) {
        long v = Math.max(0, micros);
        counts[bucketIndex(v)]++;
        count++;
        sum += v;
        if (v > max) {
            max = v;
        }
    }

    long count() {
        return count;
    }

    /** Largest value recorded, 0 when empty. */
    long max() {
        return max;
    }

    /** Exact mean in µs, 0 when empty. */
    double mean() {
        return count == 0 ? 0 : (double) sum / count;
    }

    /**
     * The nearest-rank percentile: the value of the {@code ceil(q * count)}-th smallest sample
     * (the first for q = 0), at bucket resolution; 0 when empty.
     *
     * @param q between 0 and 1
     */
    long percentile(double q) {
        if (!(q >= 0 && q <= 1)) {
            throw new IllegalArgumentException("quantile must be within [0, 1], got " + q);
        }
        if (count == 0) {
            return 0;
        }
        long rank = Math.max(1, (long) Math.ceil(q * count));
        long seen = 0;
        for (int i = 0; i < counts.length; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return Math.min(max, highestValueIn(i));
            }
        }
        return max; // not reached: the counts add up to count
    }

    /** The bucket of {@code v >= 0}. */
    static int bucketIndex(long v) {
        if (v < SUB_BUCKETS) {
            return (int) v;
        }
        int exponent = 63 - Long.numberOfLeadingZeros(v); // >= SUB_BITS
        int shift = exponent - (SUB_BITS - 1);
        int sub = (int) (v >>> shift); // within [HALF, SUB_BUCKETS)
        return shift * HALF + sub;
    }

    /** The largest value that falls into bucket {@code index}. */
    static long highestValueIn(int index) {
        if (index < SUB_BUCKETS) {
            return index;
        }
        int shift = index / HALF - 1;
        long sub = index - (long) shift * HALF;
        long next = (sub + 1) << shift;
        return next <= 0 ? Long.MAX_VALUE : next - 1; // the last bucket ends at Long.MAX_VALUE
    }
}
