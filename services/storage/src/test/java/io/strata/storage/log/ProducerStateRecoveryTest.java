package io.strata.storage.log;

import io.strata.runtime.testing.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The producer state of a partition log survives a crash and a restart: a retried batch is still dropped. */
@Timeout(60)
class ProducerStateRecoveryTest {

    static final long T0 = 1_700_000_000_000L;
    static final LogConfig SMALL_SEGMENTS = LogConfig.defaults().withSegmentBytes(2_000);

    @TempDir
    Path dir;
    final MutableClock clock = new MutableClock(T0);
    /** The logs of the current "process"; a crashed one is abandoned, never closed. */
    private Logs logs;

    @AfterEach
    void closeLogs() {
        if (logs != null) {
            logs.close();
        }
    }

    private PartitionLog open(LogConfig config) {
        logs = Logs.start(clock, dir);
        return logs.log("t", 0, config);
    }

    private void cleanShutdown() {
        logs.close();
        logs = null;
    }

    /** Producer 7 writes {@code n} batches of 3 records (sequences 0, 3, 6, ...), between plain batches. */
    private static List<LogAppendInfo> produce(PartitionLog log, int n) {
        List<LogAppendInfo> answers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            log.append(TestBatches.batch(1, 100, T0), 0);
            answers.add(log.append(TestBatches.idempotent(7, 0, i * 3, 3, T0), 0));
        }
        return answers;
    }

    private static void assertRetryOfTheLastBatchIsDropped(PartitionLog log, int batches, LogAppendInfo original) {
        long end = log.logEndOffset();
        LogAppendInfo retry = log.append(TestBatches.idempotent(7, 0, (batches - 1) * 3, 3, T0), 0);
        assertThat(retry.duplicate()).isTrue();
        assertThat(retry.firstOffset()).isEqualTo(original.firstOffset());
        assertThat(retry.lastOffset()).isEqualTo(original.lastOffset());
        assertThat(log.logEndOffset()).as("nothing appended").isEqualTo(end);
        assertThatThrownBy(() -> log.append(TestBatches.idempotent(7, 0, batches * 3 + 1, 1, T0), 0))
                .as("a gap is still a gap").isInstanceOf(ProducerStateException.class);
        assertThat(log.append(TestBatches.idempotent(7, 0, batches * 3, 1, T0), 0).duplicate()).isFalse();
    }

    private Path snapshot(long offset) {
        return ProducerSnapshots.file(dir.resolve("t-0"), offset);
    }

    @Test
    void aRetriedDuplicateIsStillDroppedAfterACrashWithoutAnySnapshot() {
        PartitionLog log = open(LogConfig.defaults());
        List<LogAppendInfo> answers = produce(log, 4);
        logs.crash();

        PartitionLog reopened = open(LogConfig.defaults());

        assertRetryOfTheLastBatchIsDropped(reopened, 4, answers.getLast());
    }

    @Test
    void eachRollLeavesASnapshotAtTheNewSegmentAndACrashReplaysFromTheLatest() {
        PartitionLog log = open(SMALL_SEGMENTS);
        List<LogAppendInfo> answers = produce(log, 30);
        List<Long> bases = log.segmentBaseOffsets();
        assertThat(bases).hasSizeGreaterThan(3);
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(snapshot(bases.getLast())));
        for (long base : bases.subList(1, bases.size())) {
            assertThat(snapshot(base)).exists();
        }
        logs.crash();

        PartitionLog reopened = open(SMALL_SEGMENTS);

        assertRetryOfTheLastBatchIsDropped(reopened, 30, answers.getLast());
        assertThat(reopened.recoveryResult().bytesTruncated()).isZero();
    }

    @Test
    void aCleanCloseWritesASnapshotAtTheLogEnd() {
        PartitionLog log = open(LogConfig.defaults());
        List<LogAppendInfo> answers = produce(log, 3);
        long end = log.logEndOffset();
        cleanShutdown();
        assertThat(snapshot(end)).exists();

        PartitionLog reopened = open(LogConfig.defaults());

        assertThat(reopened.recoveryResult().bytesValidated()).isZero();
        assertRetryOfTheLastBatchIsDropped(reopened, 3, answers.getLast());
    }

    @Test
    void aCorruptSnapshotIsIgnoredAndTheStateRebuiltFromTheWholeLog() throws Exception {
        PartitionLog log = open(LogConfig.defaults());
        List<LogAppendInfo> answers = produce(log, 3);
        long end = log.logEndOffset();
        cleanShutdown();
        byte[] bytes = Files.readAllBytes(snapshot(end));
        bytes[bytes.length / 2] ^= 0x01;
        Files.write(snapshot(end), bytes);

        PartitionLog reopened = open(LogConfig.defaults());

        assertThat(snapshot(end)).doesNotExist();
        assertRetryOfTheLastBatchIsDropped(reopened, 3, answers.getLast());
    }

    @Test
    void snapshotsAreDeletedWithTheSegmentsRetentionDeletes() {
        PartitionLog log = open(SMALL_SEGMENTS.withRetention(-1, 6_000));
        produce(log, 30);
        List<Long> bases = log.segmentBaseOffsets();
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(snapshot(bases.getLast())));

        log.updateHighWatermark(log.logEndOffset()); // retention takes committed segments only
        assertThat(log.deleteOldSegments()).isPositive();

        long start = log.logStartOffset();
        for (long base : bases) {
            assertThat(Files.exists(snapshot(base))).as("snapshot %d, log start %d", base, start).isEqualTo(base >= start);
        }
    }

    @Test
    void producersIdleLongerThanTheExpirationAreForgottenByTheLog() {
        PartitionLog log = open(LogConfig.defaults());
        produce(log, 2);
        clock.advance(LogManager.DEFAULT_PRODUCER_ID_EXPIRATION_MS);

        assertThat(log.removeExpiredProducers()).isEqualTo(1);

        assertThat(log.append(TestBatches.idempotent(7, 0, 3, 3, T0), 0).duplicate())
                .as("a retry is no longer recognised once its producer expired").isFalse();
    }
}
