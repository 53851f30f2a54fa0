package io.strata.storage.log;

import io.strata.runtime.testing.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

import static io.strata.storage.log.TestBatches.batch;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The high watermark, its {@code replication-offset-checkpoint}, and reads bounded by it. */
@Timeout(30)
class HighWatermarkTest {

    @TempDir
    Path dir;
    final MutableClock clock = new MutableClock(1_700_000_000_000L);
    private Logs logs;

    @AfterEach
    void closeLogs() {
        if (logs != null) {
            logs.close();
        }
    }

    private PartitionLog open() {
        logs = Logs.start(clock, dir);
        return logs.log("t", 0, LogConfig.defaults());
    }

    /** Batches of 4 records: base offsets 0, 4, 8, 12, 16; the log ends at 20. */
    private PartitionLog fiveBatchesOfFour() {
        PartitionLog log = open();
        for (int i = 0; i < 5; i++) {
            log.append(batch(4, 10, i), 0);
        }
        return log;
    }

    private LogReadResult readUpTo(PartitionLog log, long offset, long maxOffset) {
        return log.read(offset, 1 << 20, ByteBuffer::allocate, maxOffset);
    }

    @Test
    void theHighWatermarkStartsAtTheLogStartAndOnlyRisesWithinTheLog() {
        PartitionLog log = fiveBatchesOfFour();
        assertThat(log.highWatermark()).isZero();

        log.updateHighWatermark(8);
        assertThat(log.highWatermark()).isEqualTo(8);
        log.updateHighWatermark(4);
        assertThat(log.highWatermark()).as("lower values are ignored").isEqualTo(8);
        log.updateHighWatermark(100);
        assertThat(log.highWatermark()).as("clamped to the log end").isEqualTo(20);
    }

    @Test
    void theHighWatermarkSurvivesACleanRestart() throws Exception {
        PartitionLog log = fiveBatchesOfFour();
        log.updateHighWatermark(12);
        logs.close();

        assertThat(Files.readString(dir.resolve(OffsetCheckpoint.HIGH_WATERMARK_FILE))).isEqualTo("0\n1\nt 0 12\n");
        assertThat(Files.readString(dir.resolve(OffsetCheckpoint.RECOVERY_POINT_FILE))).isEqualTo("0\n1\nt 0 20\n");
        assertThat(open().highWatermark()).isEqualTo(12);
    }

    @Test
    void aTruncationClampsTheHighWatermarkAndTheCheckpointFollows() throws Exception {
        PartitionLog log = fiveBatchesOfFour();
        log.updateHighWatermark(16);

        log.truncateTo(10);

        assertThat(log.highWatermark()).isEqualTo(8);
        assertThat(Files.readString(dir.resolve(OffsetCheckpoint.HIGH_WATERMARK_FILE))).isEqualTo("0\n1\nt 0 8\n");
        logs.crash();
        assertThat(open().highWatermark()).isEqualTo(8);
    }

    @Test
    void aMissingCheckpointMeansTheLogStartAndAStaleOneIsClampedToTheLog() throws Exception {
        PartitionLog log = fiveBatchesOfFour();
        log.updateHighWatermark(20);
        logs.close();
        Files.delete(dir.resolve(OffsetCheckpoint.HIGH_WATERMARK_FILE));

        assertThat(open().highWatermark()).isZero();
        logs.close();
        Files.writeString(dir.resolve(OffsetCheckpoint.HIGH_WATERMARK_FILE), "0\n1\nt 0 999\n");

        assertThat(open().highWatermark()).isEqualTo(20);
    }

    @Test
    void aBoundedReadReturnsOnlyTheBatchesBelowTheBound() {
        PartitionLog log = fiveBatchesOfFour();

        LogReadResult committed = readUpTo(log, 0, 12);

        assertThat(TestBatches.baseOffsets(committed.batches())).containsExactly(0L, 4L, 8L);
        assertThat(committed.nextOffset()).isEqualTo(12);
        assertThat(TestBatches.baseOffsets(readUpTo(log, 0, 10).batches())).as("a batch starting below the bound")
                .containsExactly(0L, 4L, 8L);
        assertThat(TestBatches.baseOffsets(readUpTo(log, 9, 10).batches())).containsExactly(8L);
        assertThat(TestBatches.baseOffsets(readUpTo(log, 4, 20).batches())).containsExactly(4L, 8L, 12L, 16L);
    }

    @Test
    void aBoundedReadFromTheBoundUpToTheLogEndIsEmptyAndPastTheEndOutOfRange() {
        PartitionLog log = fiveBatchesOfFour();

        LogReadResult atBound = readUpTo(log, 12, 12);
        assertThat(atBound.batches().remaining()).isZero();
        assertThat(atBound.nextOffset()).isEqualTo(12);
        assertThat(readUpTo(log, 17, 12).batches().remaining()).isZero();
        assertThat(readUpTo(log, 20, 12).batches().remaining()).isZero();
        assertThatThrownBy(() -> readUpTo(log, 21, 12)).isInstanceOf(OffsetOutOfRangeException.class);
    }
}
