package io.strata.storage.log;

import io.strata.runtime.testing.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static io.strata.storage.log.TestBatches.at;
import static io.strata.storage.log.TestBatches.batch;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** {@link PartitionLog#truncateTo} and {@link PartitionLog#truncateFullyAndStartAt}. */
@Timeout(60)
class TruncationTest {

    static final long T0 = 1_700_000_000_000L;
    static final LogConfig SMALL_SEGMENTS = LogConfig.defaults().withSegmentBytes(4_000).withIndexIntervalBytes(300);

    @TempDir
    Path dir;
    final MutableClock clock = new MutableClock(T0);
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

    private PartitionLog reopenAfterCrash(LogConfig config) {
        logs.crash();
        return open(config);
    }

    private PartitionLog reopenAfterCleanShutdown(LogConfig config) {
        logs.close();
        return open(config);
    }

    /** Appends {@code n} batches of 1-4 records at timestamps {@code T0 + i}; returns their base offsets. */
    private static List<Long> appendBatches(PartitionLog log, int n) {
        List<Long> bases = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            bases.add(log.append(batch(1 + i % 4, 60, T0 + i), 0).firstOffset());
        }
        return bases;
    }

    private static List<Long> readAllBaseOffsets(PartitionLog log) {
        List<Long> bases = new ArrayList<>();
        long next = log.logStartOffset();
        while (next < log.logEndOffset()) {
            LogReadResult r = log.read(next, 4096);
            TestBatches.validBatches(r.batches());
            bases.addAll(TestBatches.baseOffsets(r.batches()));
            next = r.nextOffset();
        }
        assertThat(next).isEqualTo(log.logEndOffset());
        return bases;
    }

    /** The log holds exactly {@code bases} (then ends at {@code end}), also by index and time lookups. */
    private static void assertHolds(PartitionLog log, List<Long> bases, long end) {
        assertThat(log.logEndOffset()).isEqualTo(end);
        assertThat(readAllBaseOffsets(log)).isEqualTo(bases);
        for (int i = 0; i < bases.size(); i += 7) {
            assertThat(TestBatches.baseOffsets(log.read(bases.get(i), 1).batches())).containsExactly(bases.get(i));
            assertThat(log.offsetForTimestamp(T0 + i)).contains(new TimestampOffset(T0 + i, bases.get(i)));
        }
        assertThat(log.offsetForTimestamp(T0 + bases.size())).isEmpty();
        assertThatThrownBy(() -> log.read(end + 1, 100)).isInstanceOf(OffsetOutOfRangeException.class);
    }

    private static Path segmentLog(PartitionLog log, long base) {
        return Segment.file(log.dir(), base, Segment.LOG_SUFFIX);
    }

    @Test
    void truncatingInTheMiddleOfASegmentCutsItAndDeletesTheLaterOnes() {
        PartitionLog log = open(SMALL_SEGMENTS);
        List<Long> bases = appendBatches(log, 300);
        List<Long> segments = log.segmentBaseOffsets();
        assertThat(segments).hasSizeGreaterThan(5);
        int cutBatch = bases.indexOf(segments.get(3)) + 5;
        long cut = bases.get(cutBatch);

        log.truncateTo(cut);

        assertThat(log.segmentBaseOffsets()).isEqualTo(segments.subList(0, 4));
        assertHolds(log, bases.subList(0, cutBatch), cut);
        assertThat(segmentLog(log, segments.get(4))).doesNotExist();
        LogAppendInfo next = log.append(batch(2, 60, T0 + 1000), 0);
        assertThat(next.firstOffset()).isEqualTo(cut);
        List<Long> expected = new ArrayList<>(bases.subList(0, cutBatch));
        expected.add(cut);
        assertThat(readAllBaseOffsets(log)).isEqualTo(expected);

        PartitionLog reopened = reopenAfterCrash(SMALL_SEGMENTS);

        assertThat(reopened.recoveryResult().bytesTruncated()).isZero();
        assertThat(readAllBaseOffsets(reopened)).isEqualTo(expected);
        assertThat(reopened.offsetForTimestamp(T0 + 1000)).contains(new TimestampOffset(T0 + 1000, cut));
    }

    @Test
    void truncatingAtASegmentBoundaryLeavesThatSegmentEmptyAndActive() {
        PartitionLog log = open(SMALL_SEGMENTS);
        List<Long> bases = appendBatches(log, 200);
        List<Long> segments = log.segmentBaseOffsets();
        long cut = segments.get(2);

        log.truncateTo(cut);

        assertThat(log.segmentBaseOffsets()).isEqualTo(segments.subList(0, 3));
        assertThat(Files.exists(segmentLog(log, cut))).isTrue();
        assertHolds(log, bases.subList(0, bases.indexOf(cut)), cut);
        assertThat(log.append(batch(1, 60, T0), 0).firstOffset()).isEqualTo(cut);

        PartitionLog reopened = reopenAfterCleanShutdown(SMALL_SEGMENTS);

        assertThat(reopened.recoveryResult().bytesValidated()).isZero();
        assertThat(reopened.logEndOffset()).isEqualTo(cut + 1);
    }

    @Test
    void truncatingAcrossSeveralSegmentsIntoTheFirstOne() {
        PartitionLog log = open(SMALL_SEGMENTS);
        List<Long> bases = appendBatches(log, 300);
        List<Long> segments = log.segmentBaseOffsets();

        log.truncateTo(bases.get(3));

        assertThat(log.segmentBaseOffsets()).containsExactly(0L);
        assertHolds(log, bases.subList(0, 3), bases.get(3));

        PartitionLog reopened = reopenAfterCrash(SMALL_SEGMENTS);

        assertThat(reopened.segmentBaseOffsets()).containsExactly(0L);
        assertHolds(reopened, bases.subList(0, 3), bases.get(3));
        for (long base : segments.subList(1, segments.size())) {
            assertThat(segmentLog(reopened, base)).doesNotExist();
        }
    }

    @Test
    void truncatingInsideABatchCutsTheWholeBatch() {
        PartitionLog log = open(LogConfig.defaults());
        log.append(batch(4, 10, T0), 0);
        log.append(batch(4, 10, T0 + 1), 0);
        log.append(batch(4, 10, T0 + 2), 0);

        log.truncateTo(6);

        assertThat(log.logEndOffset()).isEqualTo(4);
        assertThat(readAllBaseOffsets(log)).containsExactly(0L);
        assertThat(log.append(batch(1, 10, T0), 0).firstOffset()).isEqualTo(4);
    }

    @Test
    void truncatingAtOrPastTheEndDoesNothingAndBelowTheStartIsRefused() {
        PartitionLog log = open(SMALL_SEGMENTS.withRetention(-1, 4_000));
        appendBatches(log, 200);
        long end = log.logEndOffset();
        long size = log.sizeInBytes();

        log.truncateTo(end);
        log.truncateTo(end + 100);

        assertThat(log.logEndOffset()).isEqualTo(end);
        assertThat(log.sizeInBytes()).isEqualTo(size);
        log.updateHighWatermark(log.logEndOffset()); // retention takes committed segments only
        assertThat(log.deleteOldSegments()).isPositive();
        long start = log.logStartOffset();
        assertThatThrownBy(() -> log.truncateTo(start - 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("truncateFullyAndStartAt");
        log.truncateTo(start);
        assertThat(log.logEndOffset()).isEqualTo(start);
        assertThat(log.segmentBaseOffsets()).containsExactly(start);
    }

    @Test
    void truncationDropsTheLeaderEpochsThatStartAtOrAfterTheNewEnd() throws Exception {
        PartitionLog log = open(LogConfig.defaults());
        log.append(batch(5, 10, T0), 1);
        log.append(batch(5, 10, T0), 3);
        log.append(batch(5, 10, T0), 3);
        log.append(batch(5, 10, T0), 6);

        log.truncateTo(12);

        assertThat(log.logEndOffset()).isEqualTo(10);
        assertThat(log.leaderEpochs()).containsExactly(new EpochEntry(1, 0), new EpochEntry(3, 5));
        assertThat(Files.readString(log.dir().resolve(LeaderEpochCache.FILE_NAME))).isEqualTo("0\n2\n1 0\n3 5\n");
        assertThat(log.endOffsetForEpoch(3)).isEqualTo(new EpochEndOffset(3, 10));
        assertThat(log.endOffsetForEpoch(6)).isEqualTo(new EpochEndOffset(3, 10));

        log.truncateTo(5);

        assertThat(log.leaderEpochs()).containsExactly(new EpochEntry(1, 0));
        log.append(batch(1, 10, T0), 7);
        assertThat(log.leaderEpochs()).containsExactly(new EpochEntry(1, 0), new EpochEntry(7, 5));
    }

    @Test
    void truncationRebuildsTheProducerStateSoASequencePastTheCutIsNewAgain() {
        PartitionLog log = open(SMALL_SEGMENTS);
        List<LogAppendInfo> answers = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            log.append(batch(1, 200, T0), 0);
            answers.add(log.append(TestBatches.idempotent(7, 0, i * 3, 3, T0), 0));
        }
        List<Long> segments = log.segmentBaseOffsets();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> Files.exists(ProducerSnapshots.file(log.dir(), segments.getLast())));
        long cut = answers.get(20).firstOffset();

        log.truncateTo(cut);

        for (long base : segments) {
            assertThat(Files.exists(ProducerSnapshots.file(log.dir(), base))).as("snapshot %d", base)
                    .isEqualTo(base > 0 && base <= cut);
        }
        LogAppendInfo kept = log.append(TestBatches.idempotent(7, 0, 19 * 3, 3, T0), 0);
        assertThat(kept.duplicate()).as("a batch below the cut is still known").isTrue();
        assertThat(kept.firstOffset()).isEqualTo(answers.get(19).firstOffset());
        LogAppendInfo again = log.append(TestBatches.idempotent(7, 0, 20 * 3, 3, T0), 0);
        assertThat(again.duplicate()).as("the batch at the cut is forgotten").isFalse();
        assertThat(again.firstOffset()).isEqualTo(cut);

        PartitionLog reopened = reopenAfterCrash(SMALL_SEGMENTS);

        assertThat(reopened.append(TestBatches.idempotent(7, 0, 20 * 3, 3, T0), 0).duplicate()).isTrue();
        assertThat(reopened.append(TestBatches.idempotent(7, 0, 21 * 3, 3, T0), 0).duplicate()).isFalse();
    }

    @Test
    void truncationLowersTheRecoveryPointAndTheHighWatermarkAndRewritesTheCheckpoints() throws Exception {
        PartitionLog log = open(LogConfig.defaults());
        appendBatches(log, 20);
        log.flush();
        log.updateHighWatermark(log.logEndOffset());
        long cut = 10;

        log.truncateTo(cut);

        assertThat(log.recoveryPoint()).isEqualTo(log.logEndOffset());
        assertThat(log.highWatermark()).isEqualTo(log.logEndOffset());
        long end = log.logEndOffset();
        assertThat(end).isLessThanOrEqualTo(cut);
        String checkpoint = "0\n1\nt 0 " + end + "\n";
        assertThat(Files.readString(dir.resolve(OffsetCheckpoint.RECOVERY_POINT_FILE))).isEqualTo(checkpoint);
        assertThat(Files.readString(dir.resolve(OffsetCheckpoint.HIGH_WATERMARK_FILE))).isEqualTo(checkpoint);
    }

    @Test
    void truncateFullyAndStartAtEmptiesTheLogAndStartsItAtTheOffset() {
        PartitionLog log = open(SMALL_SEGMENTS);
        for (int i = 0; i < 30; i++) {
            log.append(TestBatches.idempotent(7, 0, i * 3, 3, T0), 2);
        }
        log.updateHighWatermark(50);

        log.truncateFullyAndStartAt(1000);

        assertThat(log.logStartOffset()).isEqualTo(1000);
        assertThat(log.logEndOffset()).isEqualTo(1000);
        assertThat(log.highWatermark()).isEqualTo(1000);
        assertThat(log.recoveryPoint()).isEqualTo(1000);
        assertThat(log.segmentBaseOffsets()).containsExactly(1000L);
        assertThat(log.leaderEpochs()).isEmpty();
        assertThat(log.read(1000, 100).batches().remaining()).isZero();
        assertThatThrownBy(() -> log.read(0, 100)).isInstanceOf(OffsetOutOfRangeException.class);
        assertThat(log.offsetForTimestamp(T0)).isEmpty();
        assertThat(log.appendAsFollower(at(TestBatches.idempotent(7, 0, 29 * 3, 3, T0), 1000, 4)).duplicate())
                .isFalse();
        assertThat(log.leaderEpochs()).containsExactly(new EpochEntry(4, 1000));

        PartitionLog reopened = reopenAfterCrash(SMALL_SEGMENTS);

        assertThat(reopened.logStartOffset()).isEqualTo(1000);
        assertThat(reopened.logEndOffset()).isEqualTo(1003);
        assertThat(reopened.segmentBaseOffsets()).containsExactly(1000L);
        assertThat(reopened.leaderEpochs()).containsExactly(new EpochEntry(4, 1000));
    }

    @Test
    void truncateFullyAndStartAtTheOldStartReplacesTheSegmentOfTheSameName() {
        PartitionLog log = open(LogConfig.defaults());
        appendBatches(log, 10);

        log.truncateFullyAndStartAt(0);

        assertThat(log.logEndOffset()).isZero();
        assertThat(log.append(batch(1, 10, T0), 0).firstOffset()).isZero();
        assertThat(readAllBaseOffsets(log)).containsExactly(0L);

        PartitionLog reopened = reopenAfterCleanShutdown(LogConfig.defaults());

        assertThat(readAllBaseOffsets(reopened)).containsExactly(0L);
    }

    @Test
    void readersRacingTruncationsNeverSeeBytesPastTheEndNorFailTheLog() throws Exception {
        PartitionLog log = open(SMALL_SEGMENTS.withIndexIntervalBytes(100));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicInteger reads = new AtomicInteger();
        List<Thread> readers = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            Thread reader = new Thread(() -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                while (!stop.get()) {
                    long start = log.logStartOffset();
                    long offset = start + random.nextLong(Math.max(1, log.logEndOffset() - start + 1));
                    try {
                        LogReadResult r = log.read(offset, random.nextInt(1, 3000));
                        ByteBuffer b = r.batches();
                        TestBatches.validBatches(b);
                        List<Long> bases = TestBatches.baseOffsets(b);
                        if (!bases.isEmpty()) {
                            assertThat(bases.getFirst()).isLessThanOrEqualTo(offset);
                            assertThat(r.nextOffset()).isLessThanOrEqualTo(r.logEndOffset());
                        }
                        log.offsetForTimestamp(T0 + random.nextInt(100));
                        reads.incrementAndGet();
                    } catch (OffsetOutOfRangeException e) {
                        // the end moved below the offset
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                        return;
                    }
                }
            });
            reader.start();
            readers.add(reader);
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        try {
            for (int round = 0; round < 150 && failure.get() == null; round++) {
                for (int i = 0; i < 20; i++) {
                    log.append(batch(1 + random.nextInt(4), 20 + random.nextInt(200), T0 + random.nextInt(100)), round);
                }
                long end = log.logEndOffset();
                log.truncateTo(end - random.nextLong(Math.min(end, 60)));
            }
        } finally {
            stop.set(true);
            for (Thread reader : readers) {
                reader.join();
            }
        }

        assertThat(failure.get()).isNull();
        assertThat(reads.get()).isPositive();
        long end = log.logEndOffset();
        assertThat(log.append(batch(1, 10, T0), 0).firstOffset()).isEqualTo(end);
        readAllBaseOffsets(log);
    }
}
