package io.strata.cli.perf;

import java.util.function.LongSupplier;

/**
 * A nanosecond clock for {@code perf consume --group} that runs only while the group member owns
 * partitions, so that {@link PerfStats} driven by it leaves out the group join: the measured time is
 * the wall time minus every interval in which the member owned nothing. That is Kafka's
 * ConsumerPerformance rule ({@code fetch.time.ms} = elapsed − {@code rebalance.time.ms}, the latter
 * summed from the moment the member has no partitions — at the start, or after a revocation that
 * took all of them — to the next {@code onPartitionsAssigned}).
 *
 * <p>It starts stopped (the member joins first). {@link #partitionsOwned(int)} is told the number of
 * partitions owned after every listener call. Not thread-safe: the consumer's listener runs on the
 * polling thread, the only user.
 */
final class AssignedTimeClock implements LongSupplier {

    private final LongSupplier raw;
    private final long createdNanos;
    /** Raw time at which the member last lost its last partition (or the start); -1 while it owns some. */
    private long stoppedAt;
    private long excludedNanos;
    private long firstAssignmentNanos = -1;

    /** @param raw {@link System#nanoTime} outside tests */
    AssignedTimeClock(LongSupplier raw) {
        this.raw = raw;
        this.createdNanos = raw.getAsLong();
        this.stoppedAt = createdNanos;
    }

    /** Called after each rebalance callback with the number of partitions the member owns now. */
    void partitionsOwned(int count) {
        long now = raw.getAsLong();
        if (count > 0 && stoppedAt >= 0) {
            excludedNanos += now - stoppedAt;
            stoppedAt = -1;
            if (firstAssignmentNanos < 0) {
                firstAssignmentNanos = now - createdNanos;
            }
        } else if (count == 0 && stoppedAt < 0) {
            stoppedAt = now;
        }
    }

    /** The raw time minus the time without partitions; stands still while the member owns none. */
    @Override
    public long getAsLong() {
        long now = stoppedAt >= 0 ? stoppedAt : raw.getAsLong();
        return now - excludedNanos;
    }

    /** Whether the member got partitions at least once. */
    boolean everAssigned() {
        return firstAssignmentNanos >= 0;
    }

    /** From the creation (just before {@code subscribe}) to the first assignment with partitions; -1 before it. */
    long firstAssignmentNanos() {
        return firstAssignmentNanos;
    }

    /** Time left out so far: the join, any later time without partitions, and the current one if it is running. */
    long excludedNanos() {
        return excludedNanos + (stoppedAt >= 0 ? raw.getAsLong() - stoppedAt : 0);
    }
}
