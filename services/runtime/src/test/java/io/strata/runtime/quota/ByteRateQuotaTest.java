package io.strata.runtime.quota;

import io.strata.runtime.testing.MutableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The token-bucket arithmetic, on a clock the test moves. */
@Timeout(10)
class ByteRateQuotaTest {

    private static final long RATE = 1_000; // bytes per second: 1 byte per ms
    private final MutableClock clock = new MutableClock();

    @Test
    void aClientSteadilyUnderItsQuotaIsNeverThrottled() {
        ByteRateQuota quota = new ByteRateQuota(RATE, clock);
        for (int i = 0; i < 3_000; i++) { // 900 B/s for 10 minutes
            assertThat(quota.record(180)).isZero();
            clock.advance(200);
        }
    }

    @Test
    void theThrottleTimeIsTheDeficitOverTheRateRoundedUp() {
        ByteRateQuota quota = new ByteRateQuota(RATE, clock);
        assertThat(quota.record(1_000)).isZero(); // the whole second of burst, nothing owed
        assertThat(quota.record(500)).isEqualTo(500);
        clock.advance(200);
        assertThat(quota.throttleMs()).isEqualTo(300);
        clock.advance(300);
        assertThat(quota.throttleMs()).isZero();
        assertThat(quota.record(1)).isEqualTo(1); // 1 byte owed at 1 byte/ms: 1 ms
        assertThat(new ByteRateQuota(3, clock).record(4)).isEqualTo(334); // 1/3 s, rounded up
    }

    @Test
    void aClientOverItsQuotaThatWaitsItsThrottleTimeMovesExactlyTheQuota() {
        ByteRateQuota quota = new ByteRateQuota(RATE, clock);
        long start = clock.millis();
        long bytes = 0;
        for (int i = 0; i < 10_000; i++) { // as fast as it is let: 4 KB requests, 4x the quota
            long throttle = quota.record(4_000);
            bytes += 4_000;
            clock.advance(Math.max(1, throttle));
        }
        double seconds = (clock.millis() - start) / 1000.0;
        // Long-run rate = the quota; the only excess is the one-second burst the bucket started with.
        assertThat(bytes / seconds).isCloseTo(RATE, within(RATE * 0.001));
        assertThat(bytes).isLessThanOrEqualTo((long) (RATE * seconds) + RATE);
    }

    @Test
    void aClientThatIgnoresTheThrottleIsOwedMoreAndMoreTime() {
        ByteRateQuota quota = new ByteRateQuota(RATE, clock);
        quota.record(1_000);
        long first = quota.record(1_000);
        long second = quota.record(1_000);
        assertThat(first).isEqualTo(1_000);
        assertThat(second).isEqualTo(2_000);
    }

    @Test
    void theThrottleTimeIsCappedAtTenSecondsAndNothingBeyondItIsOwed() {
        ByteRateQuota quota = new ByteRateQuota(64 * 1024, clock); // 64 KiB/s
        assertThat(quota.record(64L << 20)).isEqualTo(ByteRateQuota.MAX_THROTTLE_MS); // 64 MiB: 17 min uncapped
        assertThat(quota.record(64L << 20)).isEqualTo(ByteRateQuota.MAX_THROTTLE_MS);
        clock.advance(ByteRateQuota.MAX_THROTTLE_MS);
        assertThat(quota.throttleMs()).isZero();
        quota.setRate(1024); // a lower rate does not make the debt longer than the cap either
        assertThat(quota.record(1L << 20)).isEqualTo(ByteRateQuota.MAX_THROTTLE_MS);
    }

    @Test
    void theBurstAfterAnyIdleTimeIsAtMostOneSecondOfTheQuota() {
        ByteRateQuota quota = new ByteRateQuota(RATE, clock);
        clock.advance(3_600_000); // an hour idle saves no more than a second
        assertThat(quota.full()).isTrue();
        assertThat(quota.record(RATE)).isZero();
        assertThat(quota.record(1)).isPositive();
    }

    @Test
    void aQuotaChangeAppliesFromNowKeepingWhatIsOwed() {
        ByteRateQuota quota = new ByteRateQuota(RATE, clock);
        quota.record(RATE + 1_000); // owes 1000 bytes: 1 s at 1000 B/s
        quota.setRate(10_000);
        assertThat(quota.throttleMs()).isEqualTo(100); // repaid 10x faster
        clock.advance(10_000);
        assertThat(quota.record(5_000)).isZero(); // the new, larger second of burst: 5000 of 10000 left
        quota.setRate(100);
        assertThat(quota.rate()).isEqualTo(100);
        assertThat(quota.record(100)).isZero(); // what was saved is capped at one second of the new rate
        assertThat(quota.record(100)).isEqualTo(1_000);
    }

    @Test
    void aClockSetBackDoesNotStallTheRefill() {
        ByteRateQuota quota = new ByteRateQuota(RATE, clock);
        quota.record(2_000);
        clock.advance(-60_000);
        assertThat(quota.throttleMs()).isEqualTo(1_000);
        clock.advance(1_000);
        assertThat(quota.throttleMs()).isZero();
    }

    @Test
    void rejectsAZeroOrNegativeRateAndNegativeBytes() {
        assertThatThrownBy(() -> new ByteRateQuota(0, clock)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must be > 0");
        assertThatThrownBy(() -> new ByteRateQuota(RATE, clock).record(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
