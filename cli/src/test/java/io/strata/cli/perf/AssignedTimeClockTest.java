package io.strata.cli.perf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(10)
class AssignedTimeClockTest {

    private static final long MS = 1_000_000L;

    @Test
    void standsStillUntilTheFirstAssignmentAndLeavesOutEveryTimeWithoutPartitions() {
        AtomicLong raw = new AtomicLong(1_000 * MS);
        AssignedTimeClock clock = new AssignedTimeClock(raw::get);
        PerfStats stats = new PerfStats("received", false, clock, 0, line -> { });
        assertThat(clock.everAssigned()).isFalse();

        raw.addAndGet(300 * MS);          // joining
        clock.partitionsOwned(0);         // Strata's first callback may carry no partitions
        assertThat(clock.everAssigned()).isFalse();
        raw.addAndGet(200 * MS);
        clock.partitionsOwned(6);         // assigned 500 ms after subscribe
        assertThat(clock.firstAssignmentNanos()).isEqualTo(500 * MS);
        assertThat(clock.excludedNanos()).isEqualTo(500 * MS);

        raw.addAndGet(1_000 * MS);
        stats.recordMany(100, 10_000);
        clock.partitionsOwned(2);         // a partial revocation does not stop it
        raw.addAndGet(1_000 * MS);
        clock.partitionsOwned(0);         // everything revoked: stopped
        raw.addAndGet(700 * MS);
        assertThat(clock.excludedNanos()).isEqualTo(1_200 * MS);
        clock.partitionsOwned(3);
        raw.addAndGet(1_000 * MS);
        stats.recordMany(100, 10_000);

        // 4,200 ms of wall time since subscribe, 1,200 ms of it without partitions
        PerfResult r = stats.resultUntilLastRecord();
        assertThat(r.elapsedNanos()).isEqualTo(3_000 * MS);
        assertThat(r.recordsPerSec()).isEqualTo(200 / 3.0);
        assertThat(clock.firstAssignmentNanos()).isEqualTo(500 * MS);
    }

    @Test
    void neverAssignedMeansNoTimeElapses() {
        AtomicLong raw = new AtomicLong(0);
        AssignedTimeClock clock = new AssignedTimeClock(raw::get);
        long start = clock.getAsLong();
        raw.addAndGet(10_000 * MS);
        assertThat(clock.getAsLong()).isEqualTo(start);
        assertThat(clock.firstAssignmentNanos()).isEqualTo(-1);
        assertThat(clock.excludedNanos()).isEqualTo(10_000 * MS);
    }
}
