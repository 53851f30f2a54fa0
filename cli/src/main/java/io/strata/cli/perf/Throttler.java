package io.strata.cli.perf;

import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * Caps a loop at {@code target} operations per second, as Kafka's ThroughputThrottler:
 * whenever the average rate since the start is above the target, sleep until it is not.
 * A negative target means unlimited. Not thread-safe: the sending loop owns it.
 */
final class Throttler {

    /** Sleeps for the given nanoseconds; {@link LockSupport#parkNanos} outside tests. */
    interface Sleeper {
        void sleepNanos(long nanos);
    }

    private final long target;
    private final LongSupplier nanoClock;
    private final Sleeper sleeper;
    private final long startNanos;

    /**
     * @param target operations per second; {@code -1} (any negative value) for no limit, never 0
     */
    Throttler(long target, LongSupplier nanoClock, Sleeper sleeper) {
        if (target == 0) {
            throw new IllegalArgumentException("target must be > 0, or -1 for no limit");
        }
        this.target = target;
        this.nanoClock = nanoClock;
        this.sleeper = sleeper;
        this.startNanos = nanoClock.getAsLong();
    }

    static Throttler realTime(long target) {
        return new Throttler(target, System::nanoTime, LockSupport::parkNanos);
    }

    boolean unlimited() {
        return target < 0;
    }

    /** Called after {@code done} operations: blocks until the average rate is at most the target. */
    void pace(long done) {
        if (target < 0) {
            return;
        }
        // The time `done` operations may take at the target rate; sleep off the difference.
        long earliestNanos = startNanos + (long) (done * (1e9 / target));
        long ahead = earliestNanos - nanoClock.getAsLong();
        if (ahead > 0) {
            sleeper.sleepNanos(ahead);
        }
    }
}
