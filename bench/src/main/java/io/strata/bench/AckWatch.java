package io.strata.bench;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What a continuously sending producer's acknowledgements tell about one failover: when the last
 * record was acknowledged before it, and when the first one after it. Thread-safe: the producer's
 * callbacks call {@link #acked} and {@link #failed} from its I/O threads; the bench thread
 * {@link #arm}s it before each failover and reads it.
 *
 * <p>An acknowledgement counts as "after" only when it arrives at or after the armed instant, which
 * the bench sets a short grace past the signal: an answer the old leader had already sent when it was
 * killed may still be read off the socket a moment later, and must not pass for the new leader's.
 */
final class AckWatch {

    private final AtomicLong acks = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicLong lastAckNanos = new AtomicLong();
    private final AtomicLong armedAtNanos = new AtomicLong(Long.MAX_VALUE);
    private final AtomicLong firstAfterNanos = new AtomicLong();
    private final AtomicLong firstAfterOffset = new AtomicLong(-1);
    private final AtomicLong lastBeforeNanos = new AtomicLong();
    private final AtomicReference<String> lastError = new AtomicReference<>("");

    /** A record was acknowledged at {@code nanos} ({@link System#nanoTime()}) with {@code offset}. */
    void acked(long nanos, long offset) {
        acks.incrementAndGet();
        lastAckNanos.accumulateAndGet(nanos, Math::max);
        if (nanos >= armedAtNanos.get()) {
            if (firstAfterNanos.compareAndSet(0, nanos)) {
                firstAfterOffset.set(offset);
            }
        } else {
            lastBeforeNanos.accumulateAndGet(nanos, Math::max);
        }
    }

    /** A record failed for good (its delivery timeout ran out, or a fatal error). */
    void failed(Throwable error) {
        errors.incrementAndGet();
        lastError.set(String.valueOf(error));
    }

    /** Starts watching for the first acknowledgement at or after {@code fromNanos}. */
    void arm(long fromNanos) {
        firstAfterNanos.set(0);
        firstAfterOffset.set(-1);
        lastBeforeNanos.set(lastAckNanos.get());
        armedAtNanos.set(fromNanos);
    }

    /** Stops watching (acknowledgements are only counted). */
    void disarm() {
        armedAtNanos.set(Long.MAX_VALUE);
    }

    /** The first acknowledgement at or after the armed instant, 0 while there is none. */
    long firstAfterNanos() {
        return firstAfterNanos.get();
    }

    /** The offset of that acknowledgement, -1 while there is none. */
    long firstAfterOffset() {
        return firstAfterOffset.get();
    }

    /** The last acknowledgement before the armed instant, 0 when there was none. */
    long lastBeforeNanos() {
        return lastBeforeNanos.get();
    }

    long lastAckNanos() {
        return lastAckNanos.get();
    }

    long acks() {
        return acks.get();
    }

    long errors() {
        return errors.get();
    }

    String lastError() {
        return lastError.get();
    }
}
