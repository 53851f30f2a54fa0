package io.strata.client.internal;

/**
 * Exponential retry backoff as Kafka's clients do it: {@code initialMs * 2^(attempt-1)}, capped
 * at {@code maxMs}, with up to 20% random jitter below the cap.
 *
 * @param initialMs the wait after the first failure
 * @param maxMs     the longest wait
 */
public record Backoff(long initialMs, long maxMs) {

    /** The wait before attempt {@code failures + 1}, after {@code failures >= 1} failures. */
    public long delayMs(int failures) {
        if (initialMs <= 0) {
            return 0;
        }
        int exp = Math.max(0, Math.min(failures - 1, 30));
        double raw = Math.min((double) maxMs, initialMs * Math.pow(2, exp));
        double jitter = 1.0 - 0.2 * java.util.concurrent.ThreadLocalRandom.current().nextDouble();
        return Math.max(1, (long) (raw * jitter));
    }
}
