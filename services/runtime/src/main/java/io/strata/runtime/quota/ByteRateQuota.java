package io.strata.runtime.quota;

import java.time.Clock;

/**
 * The throttle arithmetic of one client id in one direction: a token bucket of bytes.
 *
 * <ul>
 *   <li>The bucket holds at most one second of the rate ({@code capacity = rate}), so a client
 *       never gets more than one second's worth of its quota as a burst, however long it was
 *       idle. A new bucket starts full.</li>
 *   <li>It refills at the rate, continuously (by the injected clock's milliseconds).</li>
 *   <li>{@link #record(long)} takes the bytes out, always: a request is never refused, and the
 *       bucket may go below zero. The throttle time is then the deficit over the rate, rounded up
 *       to a whole millisecond: the time until the bucket is back at zero.</li>
 *   <li>The deficit is capped at {@link #MAX_THROTTLE_MS} of the rate, so no throttle time is
 *       longer (Kafka bounds it the same way, by its quota window: about 11 s by default). A
 *       64 MiB request at 64 KiB/s is throttled 10 s, not 17 minutes; what it owes beyond that
 *       is forgiven.</li>
 *   <li>A client that waits its throttle time before each next request therefore moves exactly
 *       {@code rate} bytes per second in the long run (plus at most the one-second burst), as
 *       long as none of its requests is larger than {@code MAX_THROTTLE_MS} of the rate; one
 *       whose every request is larger moves one request per {@code MAX_THROTTLE_MS}.</li>
 * </ul>
 * A rate change keeps the bytes owed (up to {@code MAX_THROTTLE_MS} of the new rate) and caps
 * what is saved at the new capacity. Thread-safe
 * (every method is synchronized; callers hold the lock for a few arithmetic operations).
 */
public final class ByteRateQuota {

    /** The longest throttle time: the bucket never owes more than this much of its rate. */
    public static final long MAX_THROTTLE_MS = 10_000;

    private final Clock clock;
    private long rate;
    /** Bytes that may still pass without throttling; negative = owed. */
    private double tokens;
    private long lastMs;

    /**
     * A full bucket.
     *
     * @param bytesPerSecond the quota, > 0
     * @param clock          what time is read from (tests inject one they move)
     */
    public ByteRateQuota(long bytesPerSecond, Clock clock) {
        this.clock = clock;
        this.rate = requirePositive(bytesPerSecond);
        this.tokens = bytesPerSecond;
        this.lastMs = clock.millis();
    }

    private static long requirePositive(long bytesPerSecond) {
        if (bytesPerSecond <= 0) {
            throw new IllegalArgumentException("a byte rate quota must be > 0 bytes per second, got " + bytesPerSecond);
        }
        return bytesPerSecond;
    }

    /** The quota in bytes per second. */
    public synchronized long rate() {
        return rate;
    }

    /**
     * Changes the quota from now on: what was saved or owed so far is kept (saved bytes capped at
     * one second of the new rate).
     */
    public synchronized void setRate(long bytesPerSecond) {
        requirePositive(bytesPerSecond);
        if (bytesPerSecond == rate) {
            return;
        }
        refill();
        rate = bytesPerSecond;
        tokens = Math.max(Math.min(tokens, rate), -(double) rate * MAX_THROTTLE_MS / 1000.0);
    }

    /**
     * Counts {@code bytes} against the quota (they are never refused).
     *
     * @return how long the client should now wait before its next request, in ms; 0 = not throttled
     */
    public synchronized long record(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes must be >= 0, got " + bytes);
        }
        refill();
        tokens = Math.max(tokens - bytes, -(double) rate * MAX_THROTTLE_MS / 1000.0);
        return throttleTime();
    }

    /** How long until the bucket is back at zero, in ms; 0 when the client is not throttled now. */
    public synchronized long throttleMs() {
        refill();
        return throttleTime();
    }

    /** Whether the bucket is full: nothing owed, a whole second saved, so it can be forgotten. */
    public synchronized boolean full() {
        refill();
        return tokens >= rate;
    }

    private long throttleTime() {
        return tokens >= 0 ? 0 : (long) Math.ceil(-tokens * 1000.0 / rate);
    }

    private void refill() {
        long now = clock.millis();
        long elapsed = now - lastMs;
        if (elapsed > 0) {
            tokens = Math.min(rate, tokens + rate * (elapsed / 1000.0));
        }
        lastMs = now; // a clock set back restarts the count from its new time instead of stalling
    }

    @Override
    public synchronized String toString() {
        return "ByteRateQuota[rate=" + rate + " B/s, tokens=" + (long) tokens + "]";
    }
}
