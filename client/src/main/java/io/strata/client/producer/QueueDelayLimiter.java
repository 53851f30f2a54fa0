package io.strata.client.producer;

import java.util.Arrays;

/**
 * Keeps the producer's queue to about {@code queue.max.delay.ms} of sending. A producer whose
 * application appends faster than its leaders answer, even for a moment, fills
 * {@code buffer.memory}: a leader that stalls for 100 ms while the application goes on lets
 * 32 MiB of records (over 100,000 of 100 bytes) queue, and every one of them then waits for the
 * stall and for the whole queue ahead of it, while a queue a tenth that size moves the same
 * records per second once the stall is over. So while batches are being answered, the memory
 * {@code send} may bring into use ({@link BufferPool#limit(long)}) is what the producer gets
 * answered in {@code queue.max.delay.ms} at its recent peak rate, plus what is in flight while
 * nothing queues — {@code peak rate × (lowest latency + queue.max.delay.ms)}, between
 * {@link #floorBytes} and {@code buffer.memory}; {@code send} waits beyond that, as it would
 * for a full buffer, only sooner. Fewer records are then caught in a stall, and none waits
 * behind more than that much of a queue.
 *
 * <p><b>Measures.</b> The rate is the buffer memory of the batches answered per
 * {@link #INTERVAL_MS} interval, its peak the highest of the last {@link #RATE_INTERVALS}
 * intervals (so a stall does not shrink the limit it is about to need). The lowest latency is that of
 * a batch from the moment it could be sent (a batch was queued behind it, or it had lingered) to
 * its answer, the lowest of the last 15–30 seconds: the pipeline's own latency without a queue
 * (network, the leader's append, replication for acks=all). It is added because a leader that
 * takes long per request whatever its size (an fsync, a replication round trip) needs that many
 * bytes in flight to keep its rate: the limit then grows with the rate instead of choking it.
 *
 * <p><b>When in doubt, the whole buffer.</b> Until the first interval is measured, after
 * {@link #IDLE_RESET_MS} without an answer (an outage, an idle producer), and while a partition
 * is not moving (the sender says so in {@link #tick}: a leader changes, a request waits for a
 * frozen node, batches wait to be retried), {@code send} may use the whole buffer, so the
 * batches of a partition in trouble do not use up a limit that the other partitions' answers
 * keep small, and the producer rides out a leader change as a Kafka producer does. Retried
 * batches are not measured (their latency includes backoffs).
 *
 * <p>Thread-safe: answers arrive on the network thread, {@link #tick} runs on the sender's.
 */
final class QueueDelayLimiter {

    /** The rate is measured over intervals of this length, at least. */
    static final long INTERVAL_MS = 100;
    /** The peak rate is the highest of this many intervals (a second). */
    static final int RATE_INTERVALS = 10;
    /** After this long without an answer, the whole buffer is usable again. */
    static final long IDLE_RESET_MS = 1_000;
    /** The lowest latency is the lowest of the current and the previous window of this length. */
    static final long BASE_WINDOW_MS = 15_000;

    private final BufferPool pool;
    private final long maxDelayMs;
    private final long totalBytes;
    private final long floorBytes;

    // All guarded by this (the limit itself is the pool's).
    private boolean suspended;
    private long intervalStartMs = -1;
    private long intervalBytes;
    /** The rates (bytes per ms) of the last intervals, a ring. */
    private final double[] rates = new double[RATE_INTERVALS];
    private int nextRate;
    private long lastAnswerMs = -1;
    private long baseWindowStartMs = -1;
    private long baseCurrentMs = Long.MAX_VALUE;
    private long basePreviousMs = Long.MAX_VALUE;

    /**
     * @param maxDelayMs the queueing delay to keep to, above 0
     * @param batchSize  {@code batch.size}: the floor is 16 of them, at least 1 MiB
     */
    QueueDelayLimiter(BufferPool pool, long maxDelayMs, int batchSize) {
        if (maxDelayMs <= 0) {
            throw new IllegalArgumentException("maxDelayMs must be above 0, not " + maxDelayMs);
        }
        this.pool = pool;
        this.maxDelayMs = maxDelayMs;
        this.totalBytes = pool.totalBytes();
        this.floorBytes = Math.min(totalBytes, Math.max(1L << 20, 16L * Math.max(1, batchSize)));
    }

    /**
     * A batch sent once was answered at {@code nowMs}.
     *
     * @param sendableSinceMs when it could first be sent ({@link ProducerBatch#sendableSinceMs})
     * @param bytes           the buffer memory it held
     */
    synchronized void answered(long sendableSinceMs, long bytes, long nowMs) {
        long latency = Math.max(0, nowMs - sendableSinceMs);
        lastAnswerMs = nowMs;
        if (baseWindowStartMs < 0 || nowMs - baseWindowStartMs >= BASE_WINDOW_MS) {
            basePreviousMs = baseWindowStartMs < 0 || nowMs - baseWindowStartMs >= 2 * BASE_WINDOW_MS
                    ? Long.MAX_VALUE : baseCurrentMs;
            baseCurrentMs = Long.MAX_VALUE;
            baseWindowStartMs = nowMs;
        }
        baseCurrentMs = Math.min(baseCurrentMs, latency);
        if (intervalStartMs < 0) {
            intervalStartMs = nowMs;
        }
        intervalBytes += bytes;
        if (nowMs - intervalStartMs >= INTERVAL_MS) {
            rates[nextRate] = intervalBytes / (double) (nowMs - intervalStartMs);
            nextRate = (nextRate + 1) % RATE_INTERVALS;
            double peak = 0;
            for (double r : rates) {
                peak = Math.max(peak, r);
            }
            long base = Math.min(baseCurrentMs, basePreviousMs);
            double wanted = peak * (base + maxDelayMs);
            if (!suspended) {
                pool.limit(wanted >= totalBytes ? totalBytes : Math.max(floorBytes, (long) wanted));
            }
            intervalStartMs = nowMs;
            intervalBytes = 0;
        }
    }

    /**
     * From the sender's loop: gives the whole buffer back while {@code stalled} (a partition with
     * batches is not moving) and after {@link #IDLE_RESET_MS} without an answer; once no partition
     * is stalled, the next interval sets the limit again. Returns how long until it wants to be
     * called again ({@link Long#MAX_VALUE}: not while the whole buffer is usable).
     */
    synchronized long tick(long nowMs, boolean stalled) {
        suspended = stalled;
        if (stalled) {
            pool.limit(totalBytes);
        }
        if (pool.limit() >= totalBytes) {
            return Long.MAX_VALUE;
        }
        long idleFor = nowMs - lastAnswerMs;
        if (idleFor >= IDLE_RESET_MS) {
            pool.limit(totalBytes);
            intervalStartMs = -1;
            intervalBytes = 0;
            Arrays.fill(rates, 0);
            return Long.MAX_VALUE;
        }
        return IDLE_RESET_MS - idleFor;
    }

    /** The memory {@code send} may bring into use now. */
    long limit() {
        return pool.limit();
    }

    /** The least the limit goes down to: 16 batches, at least 1 MiB (or the whole buffer, when smaller). */
    long floorBytes() {
        return floorBytes;
    }
}
