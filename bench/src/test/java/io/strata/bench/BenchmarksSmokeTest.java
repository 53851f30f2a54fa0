package io.strata.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs each benchmark's set-up, a few operations and tear-down outside JMH, so a change to the
 * engine's API or behaviour that breaks a benchmark fails the build instead of the next
 * measurement. Measures nothing.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class BenchmarksSmokeTest {

    @Test
    void appendBenchmarkAppendsWholeBatchesAtConsecutiveOffsets() throws Exception {
        LogAppendBenchmark b = new LogAppendBenchmark();
        b.openLog();
        try {
            assertThat(b.append()).isEqualTo(LogAppendBenchmark.RECORDS_PER_BATCH - 1);
            assertThat(b.append()).isEqualTo(2L * LogAppendBenchmark.RECORDS_PER_BATCH - 1);
            assertThat(b.batchBytes).isEqualTo(64 * 1033 + 61);
        } finally {
            b.deleteLog();
        }
    }

    @Test
    void lookupBenchmarkFindsOffsetsAndTimestampsAcrossSegments() throws Exception {
        LookupBenchmark b = new LookupBenchmark();
        b.segments = 10;
        b.totalBatches = 40;
        b.fillLog();
        try {
            for (int i = 0; i < 20; i++) {
                assertThat(b.offsetLookup()).isPositive();
                assertThat(b.timestampLookup()).isNotNegative();
            }
        } finally {
            b.deleteLog();
        }
    }
}
