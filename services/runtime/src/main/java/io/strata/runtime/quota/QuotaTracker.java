package io.strata.runtime.quota;

import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToLongFunction;

/**
 * One quota type's buckets on this node, one {@link ByteRateQuota} per client id. Each call
 * asks {@code rates} for the client's current rate, so a quota change applies to the next
 * request; a client id whose rate is 0 (unlimited) has no bucket at all. Buckets that are full
 * hold nothing a fresh one would not, so {@link #forgetIdle()} drops them (memory stays bounded
 * by the client ids active in the last second or so). Thread-safe.
 */
public final class QuotaTracker {

    private final QuotaType type;
    private final ToLongFunction<String> rates;
    private final Clock clock;
    private final Map<String, ByteRateQuota> buckets = new ConcurrentHashMap<>();

    /**
     * @param rates a client id's rate in bytes per second, 0 = unlimited (see {@link ClientQuotas})
     * @param clock what time is read from
     */
    public QuotaTracker(QuotaType type, ToLongFunction<String> rates, Clock clock) {
        this.type = type;
        this.rates = rates;
        this.clock = clock;
    }

    public QuotaType type() {
        return type;
    }

    /**
     * Counts {@code bytes} of {@code clientId} (never refused).
     *
     * @return how long the client should wait before its next request, in ms; 0 = not throttled
     */
    public long record(String clientId, long bytes) {
        long rate = rates.applyAsLong(clientId);
        if (rate <= 0) {
            buckets.remove(clientId);
            return 0;
        }
        long[] throttle = new long[1];
        buckets.compute(clientId, (id, bucket) -> {
            ByteRateQuota b = bucket != null ? bucket : new ByteRateQuota(rate, clock);
            b.setRate(rate);
            throttle[0] = b.record(bytes);
            return b;
        });
        return throttle[0];
    }

    /** How long {@code clientId} is still throttled, in ms; 0 = not throttled (or unlimited). */
    public long throttleMs(String clientId) {
        ByteRateQuota b = buckets.get(clientId);
        if (b == null) {
            return 0;
        }
        long rate = rates.applyAsLong(clientId);
        if (rate <= 0) {
            buckets.remove(clientId);
            return 0;
        }
        b.setRate(rate);
        return b.throttleMs();
    }

    /** Drops the buckets that are full; returns how many. */
    public int forgetIdle() {
        int before = buckets.size();
        for (String clientId : buckets.keySet()) {
            buckets.computeIfPresent(clientId, (id, b) -> b.full() ? null : b);
        }
        return before - buckets.size();
    }

    /** How many client ids have a bucket now. */
    public int tracked() {
        return buckets.size();
    }
}
