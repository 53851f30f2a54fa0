package io.strata.client.internal;

import io.strata.client.testing.MutableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(10)
class NodeThrottleTest {

    private final MutableClock clock = new MutableClock(1_000_000);
    private final NodeThrottle throttle = new NodeThrottle(clock);
    private final Address a = new Address("node-a", 9092);
    private final Address b = new Address("node-b", 9092);

    @Test
    void aNodeIsReadyUntilAnAnswerThrottlesIt() {
        assertThat(throttle.ready(a)).isTrue();
        throttle.throttle(a, 0);
        assertThat(throttle.delayMs(a)).isZero();
    }

    @Test
    void aThrottledNodeWaitsTheThrottleTimeFromTheAnswerAndOtherNodesDoNot() {
        throttle.throttle(a, 300);
        assertThat(throttle.ready(a)).isFalse();
        assertThat(throttle.delayMs(a)).isEqualTo(300);
        assertThat(throttle.ready(b)).isTrue();
        clock.advance(299);
        assertThat(throttle.delayMs(a)).isEqualTo(1);
        clock.advance(1);
        assertThat(throttle.ready(a)).isTrue();
    }

    @Test
    void theLongestOfOverlappingThrottlesWins() {
        throttle.throttle(a, 500);
        clock.advance(100);
        throttle.throttle(a, 100); // ends before the first one
        assertThat(throttle.delayMs(a)).isEqualTo(400);
        throttle.throttle(a, 1_000);
        assertThat(throttle.delayMs(a)).isEqualTo(1_000);
    }
}
