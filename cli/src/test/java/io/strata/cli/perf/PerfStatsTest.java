package io.strata.cli.perf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(10)
class PerfStatsTest {

    private static final long MS = 1_000_000L;

    @Test
    void countsRecordsBytesAndLatenciesAndPrintsAProgressLinePerInterval() {
        AtomicLong clock = new AtomicLong(0);
        List<String> lines = new ArrayList<>();
        PerfStats stats = new PerfStats("sent", true, clock::get, 5_000 * MS, lines::add);
        for (int i = 0; i < 1_000; i++) {
            clock.addAndGet(MS); // 1,000 records in the first second, 2 ms each
            stats.record(100, 2 * MS, clock.get());
        }
        assertThat(lines).isEmpty();
        clock.set(5_000 * MS);
        stats.record(100, 12 * MS, clock.get()); // the window is due
        assertThat(lines).containsExactly(
                "1001 records sent, 200.2 records/sec (0.02 MB/sec), 2.0 ms avg latency, 12.0 ms max latency.");
        stats.progressSuffix(" In steady state.");
        clock.set(10_000 * MS);
        stats.tick();
        assertThat(lines.get(1)).isEqualTo("0 records sent, 0.0 records/sec (0.00 MB/sec). In steady state.");

        clock.set(10_000 * MS);
        PerfResult r = stats.resultUntilNow();
        assertThat(r.records()).isEqualTo(1_001);
        assertThat(r.bytes()).isEqualTo(100_100);
        assertThat(r.recordsPerSec()).isEqualTo(100.1);
        LatencySummary l = r.latency().orElseThrow();
        assertThat(l.p50Ms()).isBetween(2.0, 2.032); // bucket resolution
        assertThat(l.maxMs()).isEqualTo(12.0);
        assertThat(l.avgMs()).isCloseTo(2.00999, org.assertj.core.data.Offset.offset(1e-4));
    }

    @Test
    void theConsumersRateEndsAtTheLastRecordNotAtTheIdleTimeout() {
        AtomicLong clock = new AtomicLong(0);
        PerfStats stats = new PerfStats("received", false, clock::get, 0, line -> {
            throw new AssertionError("no progress lines with interval 0: " + line);
        });
        clock.set(2_000 * MS);
        stats.recordMany(500, 50_000);
        clock.set(12_000 * MS); // 10 s without records
        stats.tick();
        PerfResult r = stats.resultUntilLastRecord();
        assertThat(r.elapsedNanos()).isEqualTo(2_000 * MS);
        assertThat(r.recordsPerSec()).isEqualTo(250.0);
        assertThat(r.latency()).isEmpty();
    }
}
