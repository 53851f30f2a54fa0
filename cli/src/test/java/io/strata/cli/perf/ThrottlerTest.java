package io.strata.cli.perf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(10)
class ThrottlerTest {

    @Test
    void holdsTheAverageRateAtTheTarget() {
        AtomicLong clock = new AtomicLong(0);
        Throttler t = new Throttler(1_000, clock::get, clock::addAndGet); // sleeping advances the clock
        for (int i = 1; i <= 5_000; i++) {
            clock.addAndGet(10_000); // sending takes 10 µs; the target allows one per 1 ms
            t.pace(i);
        }
        assertThat(clock.get()).isEqualTo(5_000_000_000L); // 5,000 records at 1,000/s = 5 s
    }

    @Test
    void neverSleepsWhenBehindTheTargetOrUnlimited() {
        AtomicLong clock = new AtomicLong(0);
        Throttler slow = new Throttler(1_000, clock::get, n -> {
            throw new AssertionError("slept " + n);
        });
        clock.set(2_000_000_000L);
        slow.pace(1_000); // 1,000 in 2 s: below 1,000/s
        Throttler unlimited = new Throttler(-1, clock::get, n -> {
            throw new AssertionError("slept " + n);
        });
        unlimited.pace(1_000_000_000L);
        assertThat(unlimited.unlimited()).isTrue();
    }

    @Test
    void zeroIsNotATarget() {
        assertThatThrownBy(() -> new Throttler(0, () -> 0, n -> { })).isInstanceOf(IllegalArgumentException.class);
    }
}
