package io.strata.cli.perf;

import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Counts of one measurement (records, bytes, latencies) from its start, plus a reporting
 * window: once {@code reportingIntervalNanos} have passed since the window opened, the next
 * {@link #record} hands a progress line for the window to the progress sink and opens a new
 * one (as Kafka's ProducerPerformance prints a line every 5 s from its callbacks).
 *
 * <p>Thread-safe: producer acknowledgements arrive on several gRPC threads; every method takes
 * the stats' lock, which is held only for counter updates (and a progress line every interval).
 */
final class PerfStats {

    /** What a progress line calls the records ("sent" or "received"). */
    private final String verb;
    private final boolean withLatency;
    private final LongSupplier nanoClock;
    private final long reportingIntervalNanos;
    private final Consumer<String> progress;
    private final long startNanos;
    private final LatencyHistogram latencies = new LatencyHistogram();
    private long records;
    private long bytes;
    private long lastRecordNanos;
    private long windowStartNanos;
    private long windowRecords;
    private long windowBytes;
    private long windowLatencyMicros;
    private long windowMaxLatencyMicros;
    private String progressSuffix = "";

    /**
     * Starts the measurement now.
     *
     * @param verb                   "sent" or "received", for progress lines
     * @param withLatency            whether records carry a latency (progress lines show it)
     * @param nanoClock              {@link System#nanoTime} outside tests
     * @param reportingIntervalNanos how often a progress line is due; {@code <= 0}: never
     * @param progress               where progress lines go (stderr)
     */
    PerfStats(String verb, boolean withLatency, LongSupplier nanoClock, long reportingIntervalNanos,
              Consumer<String> progress) {
        this.verb = verb;
        this.withLatency = withLatency;
        this.nanoClock = nanoClock;
        this.reportingIntervalNanos = reportingIntervalNanos;
        this.progress = progress;
        this.startNanos = nanoClock.getAsLong();
        this.windowStartNanos = startNanos;
        this.lastRecordNanos = startNanos;
    }

    /**
     * Counts one record of {@code size} bytes that took {@code latencyNanos} (ignored without
     * latency), acknowledged at {@code now} (nanoseconds of this stats' clock): the caller read the clock
     * for the latency already, and one read per record is all a record needs (as in Kafka's tool).
     */
    synchronized void record(int size, long latencyNanos, long now) {
        records++;
        bytes += size;
        lastRecordNanos = now;
        windowRecords++;
        windowBytes += size;
        if (withLatency) {
            long micros = latencyNanos / 1_000;
            latencies.record(micros);
            windowLatencyMicros += micros;
            windowMaxLatencyMicros = Math.max(windowMaxLatencyMicros, micros);
        }
        maybeReport(now);
    }

    /** Counts {@code n} records of {@code size} bytes in all, without latency (the consumer). */
    synchronized void recordMany(int n, long size) {
        if (n <= 0) {
            return;
        }
        long now = nanoClock.getAsLong();
        records += n;
        bytes += size;
        lastRecordNanos = now;
        windowRecords += n;
        windowBytes += size;
        maybeReport(now);
    }

    /** Prints a progress line now if one is due (for loops that may see no records for a while). */
    synchronized void tick() {
        maybeReport(nanoClock.getAsLong());
    }

    /** Text appended to later progress lines, e.g. " In steady state.". */
    synchronized void progressSuffix(String suffix) {
        this.progressSuffix = suffix;
    }

    synchronized long records() {
        return records;
    }

    /**
     * The result from the start until now (the producer: after its flush).
     */
    synchronized PerfResult resultUntilNow() {
        return result(nanoClock.getAsLong());
    }

    /**
     * The result from the start until the last record was counted (the consumer: the idle
     * time-out at the end is not part of the measurement).
     */
    synchronized PerfResult resultUntilLastRecord() {
        return result(lastRecordNanos);
    }

    private PerfResult result(long endNanos) {
        Optional<LatencySummary> latency = withLatency ? Optional.of(LatencySummary.of(latencies)) : Optional.empty();
        return new PerfResult(records, bytes, Math.max(0, endNanos - startNanos), latency);
    }

    private void maybeReport(long now) {
        if (reportingIntervalNanos <= 0 || now - windowStartNanos < reportingIntervalNanos) {
            return;
        }
        double seconds = (now - windowStartNanos) / 1e9;
        StringBuilder line = new StringBuilder(String.format(java.util.Locale.ROOT,
                "%d records %s, %.1f records/sec (%.2f MB/sec)", windowRecords, verb, windowRecords / seconds,
                windowBytes / PerfResult.MIB / seconds));
        if (withLatency && windowRecords > 0) {
            line.append(String.format(java.util.Locale.ROOT, ", %.1f ms avg latency, %.1f ms max latency",
                    windowLatencyMicros / 1e3 / windowRecords, windowMaxLatencyMicros / 1e3));
        }
        line.append('.').append(progressSuffix);
        progress.accept(line.toString());
        windowStartNanos = now;
        windowRecords = 0;
        windowBytes = 0;
        windowLatencyMicros = 0;
        windowMaxLatencyMicros = 0;
    }
}
