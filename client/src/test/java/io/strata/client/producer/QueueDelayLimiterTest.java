package io.strata.client.producer;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class QueueDelayLimiterTest {

    private static final long MIB = 1 << 20;
    private static final int BATCH = 65_536;
    private static final long MAX_DELAY_MS = 10;
    /** 256 KiB answered per ms: four batches. */
    private static final long FAST = 4L * BATCH;

    private final BufferPool pool = new BufferPool(32 * MIB, BATCH);
    private final QueueDelayLimiter limiter = new QueueDelayLimiter(pool, MAX_DELAY_MS, BATCH);

    /** The first answer, at 0, opens the first interval; it carries no bytes. */
    private void prime(long latencyMs) {
        limiter.answered(-latencyMs, 0, 0);
    }

    /**
     * One interval (start, start + 100]: an answer every ms of {@code bytesPerMs}, the first
     * {@code latencyMs} after its batch could be sent, the others a few ms later; the answer at
     * its end closes it.
     */
    private void interval(long startMs, long bytesPerMs, long latencyMs) {
        for (int i = 1; i <= QueueDelayLimiter.INTERVAL_MS; i++) {
            long now = startMs + i;
            limiter.answered(now - latencyMs - (i == 1 ? 0 : i % 7), bytesPerMs, now);
        }
    }

    @Test
    void untilAnIntervalIsMeasuredTheWholeBufferIsUsable() {
        assertThat(limiter.limit()).isEqualTo(32 * MIB);
        assertThat(pool.limit()).isEqualTo(32 * MIB);
        prime(2);
        limiter.answered(40, FAST, 50);
        assertThat(limiter.limit()).isEqualTo(32 * MIB);
    }

    @Test
    void theLimitIsThePeakRateTimesTheLowestLatencyPlusTheMaxDelay() {
        prime(2);
        interval(0, FAST, 2);
        assertThat(limiter.limit()).isEqualTo(FAST * (2 + MAX_DELAY_MS)).isEqualTo(3 * MIB);
        assertThat(pool.limit()).isEqualTo(limiter.limit());
    }

    @Test
    void aStallDoesNotShrinkTheLimitUntilItHasLastedASecond() {
        prime(2);
        interval(0, FAST, 2);
        long limit = limiter.limit();
        for (int i = 1; i < QueueDelayLimiter.RATE_INTERVALS; i++) {
            interval(i * 100L, FAST / 4, 2); // a quarter of the rate: the peak is still the first interval's
            assertThat(limiter.limit()).isEqualTo(limit);
        }
        interval(QueueDelayLimiter.RATE_INTERVALS * 100L, FAST / 4, 2);
        assertThat(limiter.limit()).isEqualTo(Math.max(limiter.floorBytes(), FAST / 4 * (2 + MAX_DELAY_MS)));
    }

    @Test
    void aLeaderSlowPerRequestGetsItsLatencysWorthOfBytesInFlightBesides() {
        prime(80);
        interval(0, FAST, 80); // 80 ms per request (an fsync, a replication round trip) with no queue
        assertThat(limiter.limit()).isEqualTo(FAST * (80 + MAX_DELAY_MS));
        assertThat(limiter.limit()).isLessThan(32 * MIB);
    }

    @Test
    void theLimitStaysBetweenTheFloorAndTheWholeBuffer() {
        prime(2);
        interval(0, 1_000, 2);
        assertThat(limiter.limit()).isEqualTo(limiter.floorBytes()).isEqualTo(MIB); // 16 batches, at least 1 MiB

        interval(100, 64 * FAST, 2);
        assertThat(limiter.limit()).isEqualTo(32 * MIB);
    }

    @Test
    void aSecondWithoutAnswersGivesTheWholeBufferBack() {
        prime(2);
        interval(0, FAST, 2);
        assertThat(limiter.limit()).isEqualTo(3 * MIB);

        assertThat(limiter.tick(500, false)).isEqualTo(600); // last answer at 100: a second after it
        assertThat(limiter.limit()).isEqualTo(3 * MIB);
        assertThat(limiter.tick(1_100, false)).isEqualTo(Long.MAX_VALUE);
        assertThat(limiter.limit()).isEqualTo(32 * MIB);
        assertThat(pool.limit()).isEqualTo(32 * MIB);
        assertThat(limiter.tick(5_000, false)).isEqualTo(Long.MAX_VALUE); // nothing to watch at the whole buffer

        limiter.answered(4_998, 0, 5_000); // answers again: measured afresh, the old peak forgotten
        interval(5_000, FAST / 4, 2);
        assertThat(limiter.limit()).isEqualTo(Math.max(limiter.floorBytes(), FAST / 4 * (2 + MAX_DELAY_MS)));
    }

    @Test
    void whileAPartitionIsStalledTheWholeBufferIsUsableAndAnswersDoNotLowerIt() {
        prime(2);
        interval(0, FAST, 2);
        assertThat(limiter.limit()).isEqualTo(3 * MIB);

        assertThat(limiter.tick(150, true)).isEqualTo(Long.MAX_VALUE); // a leader is gone: its batches pile up
        assertThat(pool.limit()).isEqualTo(32 * MIB);
        interval(100, FAST, 2); // the other partitions' leaders still answer
        assertThat(pool.limit()).isEqualTo(32 * MIB);

        limiter.tick(250, false); // moving again: the next interval sets the limit
        assertThat(pool.limit()).isEqualTo(32 * MIB);
        interval(200, FAST, 2);
        assertThat(pool.limit()).isEqualTo(3 * MIB);
    }

    @Test
    void theLowestLatencyIsForgottenAfterTwoWindows() {
        prime(2);
        // A leader that became slower per request for good: 50 ms, for longer than two windows.
        for (long start = 0; start < 2 * QueueDelayLimiter.BASE_WINDOW_MS + 1_000; start += 100) {
            interval(start, FAST, 50);
        }
        assertThat(limiter.limit()).isEqualTo(FAST * (50 + MAX_DELAY_MS));
    }

    @Test
    void aMaxDelayOfZeroIsNotALimiter() {
        assertThatThrownBy(() -> new QueueDelayLimiter(pool, 0, BATCH)).isInstanceOf(IllegalArgumentException.class);
    }
}
