package io.strata.cli.perf;

import java.util.Locale;
import java.util.Optional;

/**
 * What one measurement of {@code strata perf} found, and its two printed forms.
 *
 * <p>JSON (the contract of {@code --output json}, one line, keys in this order):
 * <pre>{@code
 * {"records": N, "records_per_sec": R, "mb_per_sec": M, "latency_ms": {"avg": A, "p50": B, "p99": C, "p999": D}}
 * }</pre>
 * {@code mb_per_sec} is MiB/s of record payload (key + value bytes), as Kafka's perf tools count
 * it; {@code latency_ms} is absent when the measurement has no latencies ({@code perf consume}).
 *
 * @param records      records counted
 * @param bytes        their key + value bytes
 * @param elapsedNanos the measured time
 * @param latency      the latencies, when measured
 */
record PerfResult(long records, long bytes, long elapsedNanos, Optional<LatencySummary> latency) {

    /** Bytes per MB in Kafka's perf tools (which print "MB/sec" for MiB/s). */
    static final double MIB = 1024.0 * 1024.0;

    double seconds() {
        return elapsedNanos / 1e9;
    }

    /** Records per second; 0 when no time elapsed. */
    double recordsPerSec() {
        return elapsedNanos <= 0 ? 0 : records / seconds();
    }

    /** MiB per second; 0 when no time elapsed. */
    double mibPerSec() {
        return elapsedNanos <= 0 ? 0 : bytes / MIB / seconds();
    }

    /** The one-line JSON document (no trailing newline). */
    String toJson() {
        StringBuilder s = new StringBuilder(160);
        s.append("{\"records\": ").append(records)
                .append(", \"records_per_sec\": ").append(number(recordsPerSec(), 1))
                .append(", \"mb_per_sec\": ").append(number(mibPerSec(), 2));
        latency.ifPresent(l -> s.append(", \"latency_ms\": {\"avg\": ").append(number(l.avgMs(), 3))
                .append(", \"p50\": ").append(number(l.p50Ms(), 3))
                .append(", \"p99\": ").append(number(l.p99Ms(), 3))
                .append(", \"p999\": ").append(number(l.p999Ms(), 3))
                .append('}'));
        return s.append('}').toString();
    }

    /**
     * One line in the form of Kafka's ProducerPerformance summary (so the same parsers read
     * both), e.g. {@code 5000000 records sent, 400000.0 records/sec (38.15 MB/sec), 4.10 ms avg
     * latency, 95.00 ms max latency, 3.10 ms 50th, 9.00 ms 95th, 20.00 ms 99th, 25.00 ms 99.9th.}
     *
     * @param label inserted after the count, e.g. {@code " steady state"}, or empty
     * @param verb  "sent" or "received"
     */
    String toText(String label, String verb) {
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "%d%s records %s, %.1f records/sec (%.2f MB/sec)",
                records, label, verb, recordsPerSec(), mibPerSec()));
        latency.ifPresentOrElse(l -> s.append(String.format(Locale.ROOT,
                        ", %.2f ms avg latency, %.2f ms max latency, %.2f ms 50th, %.2f ms 95th, %.2f ms 99th, %.2f ms 99.9th.",
                        l.avgMs(), l.maxMs(), l.p50Ms(), l.p95Ms(), l.p99Ms(), l.p999Ms())),
                () -> s.append(String.format(Locale.ROOT, " in %.3f s.", seconds())));
        return s.toString();
    }

    /** A JSON number with {@code decimals} decimals; JSON has no NaN or infinity, so those print as 0. */
    private static String number(double v, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", Double.isFinite(v) ? v : 0.0);
    }
}
