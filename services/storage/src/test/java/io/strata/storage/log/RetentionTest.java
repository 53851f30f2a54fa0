package io.strata.storage.log;

import io.strata.runtime.testing.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

@Timeout(30)
class RetentionTest {

    static final long HOUR = 3_600_000L;

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

    /**
     * Appends {@code segments} full segments of 2 one-offset batches, the k-th stamped now - (segments - k) hours,
     * all committed (high watermark at the log end, as on a leader whose followers caught up).
     */
    private PartitionLog logWithHourlySegments(LogConfig config, int segments) {
        PartitionLog log = uncommittedLogWithHourlySegments(config, segments);
        log.updateHighWatermark(log.logEndOffset());
        return log;
    }

    private PartitionLog uncommittedLogWithHourlySegments(LogConfig config, int segments) {
        PartitionLog log = logs.log("t", 0, config.withSegmentBytes(2 * 561));
        for (int k = 0; k < segments; k++) {
            long ts = clock.millis() - (segments - k) * HOUR;
            log.append(TestBatches.batch(1, 500, ts), 0);
            log.append(TestBatches.batch(1, 500, ts), 0);
        }
        return log;
    }

    @Test
    void timeRetentionDeletesOnlySegmentsEntirelyBelowTheHighWatermark() {
        PartitionLog log = uncommittedLogWithHourlySegments(LogConfig.defaults().withRetention(3 * HOUR + 1, -1), 6);
        log.updateHighWatermark(5); // offset 5 is in the segment at 4: not every record of it is committed

        assertThat(log.deleteOldSegments()).isEqualTo(2);
        assertThat(log.segmentBaseOffsets()).containsExactly(4L, 6L, 8L, 10L);
        assertThat(log.highWatermark()).isEqualTo(5);

        log.updateHighWatermark(6);
        assertThat(log.deleteOldSegments()).isEqualTo(1);
        assertThat(log.segmentBaseOffsets()).containsExactly(6L, 8L, 10L);
    }

    @Test
    void anExpiredActiveSegmentWithUncommittedRecordsIsNeitherRolledNorDeleted() {
        PartitionLog log = uncommittedLogWithHourlySegments(LogConfig.defaults().withRetention(HOUR / 2, -1), 3);
        log.updateHighWatermark(5);

        assertThat(log.deleteOldSegments()).isEqualTo(2);

        assertThat(log.segmentBaseOffsets()).containsExactly(4L);
        assertThat(log.logEndOffset()).isEqualTo(6);
        assertThat(TestBatches.baseOffsets(log.read(4, 10_000).batches())).containsExactly(4L, 5L);
    }

    @Test
    void sizeRetentionStopsAtTheHighWatermark() {
        PartitionLog log = uncommittedLogWithHourlySegments(LogConfig.defaults().withRetention(-1, 0), 6);
        log.updateHighWatermark(4);

        assertThat(log.deleteOldSegments()).isEqualTo(2);
        assertThat(log.segmentBaseOffsets()).containsExactly(4L, 6L, 8L, 10L);
    }

    @Test
    void nothingIsDeletedWhileNothingIsCommitted() {
        PartitionLog log = uncommittedLogWithHourlySegments(LogConfig.defaults().withRetention(HOUR / 2, 0), 4);

        assertThat(log.deleteOldSegments()).isZero();
        assertThat(log.logStartOffset()).isZero();
    }

    @Test
    void deletesSegmentsOlderThanRetentionMsAndMovesTheLogStart() {
        PartitionLog log = logWithHourlySegments(LogConfig.defaults().withRetention(3 * HOUR + 1, -1), 6);
        assertThat(log.segmentBaseOffsets()).containsExactly(0L, 2L, 4L, 6L, 8L, 10L);

        int deleted = log.deleteOldSegments();

        assertThat(deleted).isEqualTo(3); // 6, 5 and 4 hours old
        assertThat(log.segmentBaseOffsets()).containsExactly(6L, 8L, 10L);
        assertThat(log.logStartOffset()).isEqualTo(6);
        assertThatThrownBy(() -> log.read(5, 1000)).isInstanceOf(OffsetOutOfRangeException.class)
                .hasMessageContaining("[6, 12]");
        assertThat(TestBatches.baseOffsets(log.read(6, 100).batches())).containsExactly(6L);
        assertThat(log.deleteOldSegments()).isZero();
    }

    @Test
    void rollsAndDeletesAnEntirelyExpiredActiveSegment() {
        PartitionLog log = logWithHourlySegments(LogConfig.defaults().withRetention(HOUR / 2, -1), 3);

        assertThat(log.deleteOldSegments()).isEqualTo(3);

        assertThat(log.segmentBaseOffsets()).containsExactly(6L);
        assertThat(log.logStartOffset()).isEqualTo(6);
        assertThat(log.logEndOffset()).isEqualTo(6);
        assertThat(log.read(6, 100).batches().remaining()).isZero();
        assertThat(log.append(TestBatches.batch(1, 10, clock.millis()), 0).firstOffset()).isEqualTo(6);
    }

    @Test
    void deletesOldestSegmentsWhileTheLogExceedsRetentionBytes() {
        PartitionLog log = logWithHourlySegments(LogConfig.defaults().withRetention(-1, 3 * 1122), 6);
        long size = log.sizeInBytes();
        assertThat(size).isEqualTo(6 * 1122);

        assertThat(log.deleteOldSegments()).isEqualTo(3);

        assertThat(log.segmentBaseOffsets()).containsExactly(6L, 8L, 10L);
        assertThat(log.sizeInBytes()).isEqualTo(3 * 1122);
        assertThat(log.deleteOldSegments()).isZero();
    }

    @Test
    void sizeRetentionNeverDeletesTheActiveSegment() {
        PartitionLog log = logWithHourlySegments(LogConfig.defaults().withRetention(-1, 0), 3);

        assertThat(log.deleteOldSegments()).isEqualTo(2);

        assertThat(log.segmentBaseOffsets()).containsExactly(4L);
        assertThat(log.logStartOffset()).isEqualTo(4);
    }

    @Test
    void deletedSegmentFilesStayReadableUntilTheDeleteDelayThenGo() throws Exception {
        PartitionLog log = logWithHourlySegments(
                LogConfig.defaults().withRetention(2 * HOUR + HOUR / 2, -1).withFileDeleteDelayMs(200), 3);

        log.deleteOldSegments();

        try (Stream<Path> files = Files.list(log.dir())) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .contains("00000000000000000000.log.deleted")
                    .doesNotContain("00000000000000000000.log");
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            try (Stream<Path> files = Files.list(log.dir())) {
                assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".deleted"));
            }
        });
        assertThat(log.segmentBaseOffsets()).containsExactly(2L, 4L);
    }

    @Test
    void retentionSurvivesAReopen() {
        LogConfig config = LogConfig.defaults().withRetention(2 * HOUR + 1, -1);
        logWithHourlySegments(config, 4).deleteOldSegments();
        logs.close();

        logs = Logs.start(clock, dir);
        PartitionLog reopened = logs.log("t", 0, config.withSegmentBytes(2 * 561));

        assertThat(reopened.logStartOffset()).isEqualTo(4);
        assertThat(reopened.logEndOffset()).isEqualTo(8);
        assertThat(TestBatches.baseOffsets(reopened.read(4, 10_000).batches())).containsExactly(4L, 5L);
    }
}
