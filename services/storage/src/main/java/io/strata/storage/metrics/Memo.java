package io.strata.storage.metrics;

import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * A value computed at most once per {@code maxAgeNanos}: the gauges of one scrape read one
 * consistent count, and a scrape of several gauges walks the partitions once. Thread-safe (two
 * scrapes racing may both compute; either answer is fine).
 */
final class Memo<T> implements Supplier<T> {

    private record Stamped<T>(T value, long atNanos) {
    }

    private final Supplier<T> compute;
    private final long maxAgeNanos;
    private final LongSupplier nanoTime;
    private volatile Stamped<T> last;

    Memo(Supplier<T> compute, long maxAgeNanos, LongSupplier nanoTime) {
        this.compute = compute;
        this.maxAgeNanos = maxAgeNanos;
        this.nanoTime = nanoTime;
    }

    @Override
    public T get() {
        long now = nanoTime.getAsLong();
        Stamped<T> s = last;
        if (s == null || now - s.atNanos() >= maxAgeNanos) {
            s = new Stamped<>(compute.get(), now);
            last = s;
        }
        return s.value();
    }
}
