package io.strata.storage.log;

import io.strata.records.RecordBatch;
import io.strata.runtime.testing.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(60)
class SegmentRollingTest {

    static final int BATCH = 1000; // bytes per test batch
    static final int RECORD_BYTES = (BATCH - RecordBatch.HEADER_SIZE) / 2;

    @TempDir
    Path dir;
    MutableClock clock = new MutableClock(1_700_000_000_000L);
    Logs logs;

    @BeforeEach
    void start() {
        logs = Logs.start(clock, dir);
    }

    @AfterEach
    void stop() {
        logs.close();
    }

    @Test
    void rollsBeforeAnAppendThatWouldExceedSegmentBytes() throws Exception {
        PartitionLog log = logs.log("t", 0, LogConfig.defaults().withSegmentBytes(3 * 1000 + 500));
        for (int i = 0; i < 7; i++) {
            log.append(TestBatches.batch(2, RECORD_BYTES, i), 0); // 2 offsets, ~1000 bytes
        }

        assertThat(log.segmentBaseOffsets()).containsExactly(0L, 6L, 12L);
        try (Stream<Path> files = Files.list(log.dir())) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("0000"))
                    .filter(n -> !n.contains(ProducerSnapshots.SUFFIX)).sorted()) // snapshots: written in the background
                    .containsExactly("00000000000000000000.index", "00000000000000000000.log",
                            "00000000000000000000.timeindex", "00000000000000000006.index",
                            "00000000000000000006.log", "00000000000000000006.timeindex",
                            "00000000000000000012.index", "00000000000000000012.log",
                            "00000000000000000012.timeindex");
        }
    }

    @Test
    void aBatchLargerThanTheSegmentGoesIntoAnEmptySegment() {
        PartitionLog log = logs.log("t", 0, LogConfig.defaults().withSegmentBytes(100));
        log.append(TestBatches.batch(1, 500, 1), 0);
        log.append(TestBatches.batch(1, 500, 2), 0);

        assertThat(log.segmentBaseOffsets()).containsExactly(0L, 1L);
        assertThat(TestBatches.baseOffsets(log.read(1, 10).batches())).containsExactly(1L);
    }

    @Test
    void rollsWhenTheActiveSegmentIsOlderThanSegmentMs() {
        PartitionLog log = logs.log("t", 0, LogConfig.defaults().withSegmentMs(60_000));
        log.append(TestBatches.batch(1, 10, clock.millis()), 0);
        clock.advance(60_000);
        log.append(TestBatches.batch(1, 10, clock.millis()), 0);
        assertThat(log.segmentCount()).as("exactly segment.ms old does not roll yet").isEqualTo(1);

        clock.advance(1);
        log.append(TestBatches.batch(1, 10, clock.millis()), 0);

        assertThat(log.segmentBaseOffsets()).containsExactly(0L, 2L);
    }

    @Test
    void offsetLookupsAreRightAcrossManySegmentsAndIndexEntries() {
        PartitionLog log = logs.log("t", 0, LogConfig.defaults().withSegmentBytes(4_000).withIndexIntervalBytes(300));
        long offset = 0;
        List<Long> bases = new java.util.ArrayList<>();
        for (int i = 0; i < 400; i++) {
            int records = 1 + i % 7;
            bases.add(offset);
            log.append(TestBatches.batch(records, 20, i), 0);
            offset += records;
        }
        assertThat(log.segmentCount()).isGreaterThan(5);

        for (int i = 0; i < bases.size(); i++) {
            long base = bases.get(i);
            long last = (i + 1 < bases.size() ? bases.get(i + 1) : offset) - 1;
            for (long o : new long[] {base, (base + last) / 2, last}) {
                LogReadResult r = log.read(o, 1);
                assertThat(TestBatches.baseOffsets(r.batches())).as("offset %d", o).containsExactly(base);
                assertThat(r.nextOffset()).isEqualTo(last + 1);
            }
        }
    }

    @Test
    void offsetForTimestampFindsTheFirstBatchAtOrAfterTheTargetAcrossSegments() {
        PartitionLog log = logs.log("t", 0, LogConfig.defaults().withSegmentBytes(3_000).withIndexIntervalBytes(500));
        // Batch i (3 offsets) has max timestamp 1000 + 10 * i, except batch 50, which runs ahead.
        for (int i = 0; i < 100; i++) {
            long ts = i == 50 ? 5_000 : 1000 + 10L * i;
            log.append(TestBatches.batch(3, 100, ts - 5, ts), 0);
        }
        assertThat(log.segmentCount()).isGreaterThan(10);

        assertThat(log.offsetForTimestamp(0)).contains(new TimestampOffset(1000, 0));
        assertThat(log.offsetForTimestamp(1000)).contains(new TimestampOffset(1000, 0));
        assertThat(log.offsetForTimestamp(1001)).contains(new TimestampOffset(1010, 3));
        assertThat(log.offsetForTimestamp(1200)).contains(new TimestampOffset(1200, 60));
        assertThat(log.offsetForTimestamp(1495)).contains(new TimestampOffset(5_000, 150));
        assertThat(log.offsetForTimestamp(1990)).contains(new TimestampOffset(5_000, 150));
        assertThat(log.offsetForTimestamp(5_000)).contains(new TimestampOffset(5_000, 150));
        assertThat(log.offsetForTimestamp(5_001)).isEmpty();
        assertThat(log.maxTimestampOffset()).contains(new TimestampOffset(5_000, 150));
    }

    @Test
    void timeLookupsWorkAfterAReopenFromTheIndexFiles() {
        LogConfig config = LogConfig.defaults().withSegmentBytes(5_000).withIndexIntervalBytes(500);
        PartitionLog log = logs.log("t", 0, config);
        for (int i = 0; i < 60; i++) {
            log.append(TestBatches.batch(2, 100, 1000 + 10L * i), 0);
        }
        logs.close();
        logs = Logs.start(clock, dir);
        PartitionLog reopened = logs.log("t", 0, config);

        assertThat(reopened.offsetForTimestamp(1255)).contains(new TimestampOffset(1260, 52));
        assertThat(reopened.maxTimestampOffset()).contains(new TimestampOffset(1590, 118));
        assertThat(reopened.offsetForTimestamp(1591)).isEmpty();
    }

    @Test
    void maxTimestampOfAnEmptyLogIsEmpty() {
        PartitionLog log = logs.log("t", 0, LogConfig.defaults());

        assertThat(log.maxTimestampOffset()).isEmpty();
        assertThat(log.offsetForTimestamp(0)).isEqualTo(Optional.empty());
    }
}
