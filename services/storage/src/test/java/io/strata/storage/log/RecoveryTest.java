package io.strata.storage.log;

import io.strata.records.RecordBatch;
import io.strata.runtime.testing.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

@Timeout(60)
class RecoveryTest {

    static final long T0 = 1_700_000_000_000L;
    static final LogConfig SMALL_SEGMENTS = LogConfig.defaults().withSegmentBytes(10_000).withIndexIntervalBytes(500);

    @TempDir
    Path dir;
    MutableClock clock = new MutableClock(T0);
    List<Logs> opened = new ArrayList<>();

    @AfterEach
    void stop() {
        opened.forEach(Logs::close);
    }

    private Logs start() {
        Logs logs = Logs.start(clock, dir);
        opened.add(logs);
        return logs;
    }

    /** Appends {@code n} batches of 1-4 records; returns their base offsets (plus the end offset last). */
    private static List<Long> appendBatches(PartitionLog log, int n, long firstTimestamp) {
        List<Long> bases = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            bases.add(log.append(TestBatches.batch(1 + i % 4, 60, firstTimestamp + i), 0).firstOffset());
        }
        bases.add(log.logEndOffset());
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
        bases.add(next);
        return bases;
    }

    private void awaitCheckpoint(long recoveryPoint) {
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(Files.readString(dir.resolve(OffsetCheckpoint.RECOVERY_POINT_FILE)))
                        .isEqualTo("0\n1\nt 0 " + recoveryPoint + "\n"));
    }

    private static Path segmentFile(PartitionLog log, long base, String suffix) {
        return Segment.file(log.dir(), base, suffix);
    }

    @Test
    void aCleanShutdownLetsTheNextStartRecoverNothing() throws Exception {
        PartitionLog log = start().log("t", 0, SMALL_SEGMENTS);
        List<Long> bases = appendBatches(log, 300, T0);
        long end = log.logEndOffset();
        opened.getFirst().close();

        assertThat(Files.readString(dir.resolve(OffsetCheckpoint.RECOVERY_POINT_FILE)))
                .isEqualTo("0\n1\nt 0 " + end + "\n");
        PartitionLog reopened = start().log("t", 0, SMALL_SEGMENTS);

        assertThat(reopened.recoveryResult().bytesValidated()).isZero();
        assertThat(reopened.recoveryResult().bytesTruncated()).isZero();
        assertThat(reopened.recoveryPoint()).isEqualTo(end);
        assertThat(readAllBaseOffsets(reopened)).isEqualTo(bases);
        assertThat(reopened.append(TestBatches.batch(1, 10, 5), 0).firstOffset()).isEqualTo(end);
    }

    @Test
    void aCrashKeepsEverythingAppended() {
        Logs first = start();
        PartitionLog log = first.log("t", 0, LogConfig.defaults());
        List<Long> bases = appendBatches(log, 200, T0);
        long size = log.sizeInBytes();
        first.crash();

        PartitionLog reopened = start().log("t", 0, LogConfig.defaults());

        assertThat(reopened.recoveryResult()).isEqualTo(new RecoveryResult(1, size, 0));
        assertThat(readAllBaseOffsets(reopened)).isEqualTo(bases);
        assertThat(reopened.recoveryPoint()).as("validated but not fsynced").isZero();
        assertThat(reopened.append(TestBatches.batch(1, 10, 5), 0).firstOffset()).isEqualTo(bases.getLast());
    }

    @Test
    void theRecoveryPointFollowsRollsAndARestartRecoversOnlyThePartPastIt() throws Exception {
        Logs first = start();
        PartitionLog log = first.log("t", 0, SMALL_SEGMENTS);
        appendBatches(log, 300, T0);
        long activeBase = log.segmentBaseOffsets().getLast();
        assertThat(log.segmentCount()).isGreaterThan(3);

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(log.recoveryPoint()).isEqualTo(activeBase);
            assertThat(Files.readString(dir.resolve(OffsetCheckpoint.RECOVERY_POINT_FILE)))
                    .isEqualTo("0\n1\nt 0 " + activeBase + "\n");
        });
        List<Long> bases = readAllBaseOffsets(log);
        int unflushed = (int) Files.size(segmentFile(log, activeBase, Segment.LOG_SUFFIX));
        first.crash();

        PartitionLog reopened = start().log("t", 0, SMALL_SEGMENTS);

        assertThat(reopened.recoveryResult()).isEqualTo(new RecoveryResult(1, unflushed, 0));
        assertThat(reopened.recoveryPoint()).isEqualTo(activeBase);
        assertThat(readAllBaseOffsets(reopened)).isEqualTo(bases);
    }

    @Test
    void damageInAnUnflushedSealedSegmentCutsThereAndDropsTheLaterSegments() throws Exception {
        Logs first = start();
        PartitionLog log = first.log("t", 0, SMALL_SEGMENTS);
        first.crash(); // no background fsync: the recovery point stays at 0
        List<Long> bases = appendBatches(log, 300, T0);
        List<Long> segments = log.segmentBaseOffsets();
        assertThat(segments.size()).isGreaterThan(3);
        long damaged = segments.get(1);
        Path file = segmentFile(log, damaged, Segment.LOG_SUFFIX);
        // Flip a record byte of the second batch of that segment.
        ByteBuffer header = ByteBuffer.allocate(RecordBatch.HEADER_SIZE);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ch.read(header, 0);
            int second = RecordBatch.sizeInBytes(header, 0);
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, second + RecordBatch.HEADER_SIZE + 3);
            b.put(0, (byte) ~b.get(0));
            ch.write(b.flip(), second + RecordBatch.HEADER_SIZE + 3);
        }
        long secondBatch = bases.get(bases.indexOf(damaged) + 1);

        PartitionLog reopened = start().log("t", 0, SMALL_SEGMENTS);

        assertThat(reopened.logEndOffset()).isEqualTo(secondBatch);
        assertThat(reopened.segmentBaseOffsets()).containsExactly(segments.get(0), damaged);
        assertThat(readAllBaseOffsets(reopened)).isEqualTo(bases.subList(0, bases.indexOf(secondBatch) + 1));
        assertThat(reopened.append(TestBatches.batch(1, 10, 5), 0).firstOffset()).isEqualTo(secondBatch);
        assertThat(reopened.segmentBaseOffsets()).hasSize(2);
    }

    @Test
    void corruptOrMissingIndexFilesOfSealedSegmentsAreRebuiltWhenFirstNeeded() throws Exception {
        PartitionLog log = start().log("t", 0, SMALL_SEGMENTS);
        List<Long> bases = appendBatches(log, 300, T0);
        List<Long> segments = log.segmentBaseOffsets();
        long indexSize = Files.size(segmentFile(log, segments.get(0), Segment.INDEX_SUFFIX));
        opened.getFirst().close();
        Files.write(segmentFile(log, segments.get(0), Segment.INDEX_SUFFIX), new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
        Files.delete(segmentFile(log, segments.get(1), Segment.TIME_INDEX_SUFFIX));
        try (FileChannel ch = FileChannel.open(segmentFile(log, segments.get(2), Segment.INDEX_SUFFIX),
                StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(8).putInt(7).putInt(99_999).flip(), SparseIndex.HEADER_BYTES + 8);
        }

        PartitionLog reopened = start().log("t", 0, SMALL_SEGMENTS);

        assertThat(reopened.recoveryResult().bytesValidated()).isZero();
        assertThat(segmentFile(log, segments.get(0), Segment.INDEX_SUFFIX)).as("opening reads no sealed index")
                .hasSize(9);
        assertThat(readAllBaseOffsets(reopened)).isEqualTo(bases);
        for (long base : bases.subList(0, bases.size() - 1)) {
            assertThat(TestBatches.baseOffsets(reopened.read(base, 1).batches())).containsExactly(base);
        }
        assertThat(reopened.offsetForTimestamp(T0 + 150)).contains(new TimestampOffset(T0 + 150, bases.get(150)));
        assertThat(Files.size(segmentFile(log, segments.get(0), Segment.INDEX_SUFFIX))).isEqualTo(indexSize);
        assertThat(segmentFile(log, segments.get(1), Segment.TIME_INDEX_SUFFIX)).exists();
    }

    @Test
    void aTornActiveSegmentIsCutToItsLastWholeBatch() throws Exception {
        Logs first = start();
        PartitionLog log = first.log("t", 0, LogConfig.defaults());
        List<Long> bases = appendBatches(log, 10, T0);
        Path file = segmentFile(log, 0, Segment.LOG_SUFFIX);
        long size = Files.size(file);
        first.crash();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(size - 7);
        }

        PartitionLog reopened = start().log("t", 0, LogConfig.defaults());

        assertThat(reopened.logEndOffset()).isEqualTo(bases.get(9));
        int lastBatchSize = RecordBatch.HEADER_SIZE + 2 * 60;
        assertThat(Files.size(file)).isEqualTo(size - lastBatchSize);
        assertThat(reopened.recoveryResult().bytesTruncated()).isEqualTo(lastBatchSize - 7);
        assertThat(readAllBaseOffsets(reopened)).isEqualTo(bases.subList(0, 10));
    }

    @Test
    void aRestartAfterAFlushValidatesOnlyWhatWasAppendedAfterIt() {
        LogConfig config = LogConfig.defaults().withIndexIntervalBytes(200);
        Logs first = start();
        PartitionLog log = first.log("t", 0, config);
        appendBatches(log, 50, T0);
        log.flush();
        long flushedBytes = log.sizeInBytes();
        long flushedEnd = log.logEndOffset();
        awaitCheckpoint(flushedEnd);
        appendBatches(log, 20, T0 + 100);
        long size = log.sizeInBytes();
        List<Long> bases = readAllBaseOffsets(log);
        first.crash();

        PartitionLog reopened = start().log("t", 0, config);

        assertThat(reopened.recoveryResult()).isEqualTo(new RecoveryResult(1, size - flushedBytes, 0));
        assertThat(reopened.recoveryPoint()).isEqualTo(flushedEnd);
        assertThat(readAllBaseOffsets(reopened)).isEqualTo(bases);
        assertThat(reopened.offsetForTimestamp(T0 + 110)).contains(new TimestampOffset(T0 + 110, bases.get(60)));
    }

    @Test
    void aTornTailJustPastAFlushIsCutAtTheFlushPoint() throws Exception {
        LogConfig config = LogConfig.defaults().withIndexIntervalBytes(200);
        Logs first = start();
        PartitionLog log = first.log("t", 0, config);
        List<Long> bases = appendBatches(log, 50, T0);
        log.flush();
        long flushedBytes = log.sizeInBytes();
        awaitCheckpoint(log.logEndOffset());
        appendBatches(log, 20, T0 + 100);
        first.crash();
        try (FileChannel ch = FileChannel.open(segmentFile(log, 0, Segment.LOG_SUFFIX), StandardOpenOption.WRITE)) {
            ch.truncate(flushedBytes + 10);
        }

        PartitionLog reopened = start().log("t", 0, config);

        assertThat(reopened.recoveryResult()).isEqualTo(new RecoveryResult(1, 0, 10));
        assertThat(readAllBaseOffsets(reopened)).isEqualTo(bases);
        assertThat(reopened.append(TestBatches.batch(1, 10, T0), 0).firstOffset()).isEqualTo(bases.getLast());
    }

    @Test
    void flushMessagesOfOneFsyncsEveryAppend() {
        PartitionLog log = start().log("t", 0, LogConfig.defaults().withFlush(1, Long.MAX_VALUE));

        for (int i = 0; i < 5; i++) {
            log.append(TestBatches.batch(2, 10, i), 0);
            assertThat(log.recoveryPoint()).isEqualTo(log.logEndOffset());
        }
    }

    @Test
    void flushMsFsyncsInTheBackgroundOnceThatMuchTimePassed() {
        PartitionLog log = start().log("t", 0, LogConfig.defaults().withFlush(Long.MAX_VALUE, 1000));
        log.append(TestBatches.batch(2, 10, 1), 0);
        assertThat(log.recoveryPoint()).isZero();

        clock.advance(1000);

        await().atMost(Duration.ofSeconds(10)).until(() -> log.recoveryPoint() == 2);
    }

    @Test
    void flushAdvancesTheRecoveryPointToTheLogEnd() {
        PartitionLog log = start().log("t", 0, LogConfig.defaults());
        appendBatches(log, 10, T0);

        log.flush();

        assertThat(log.recoveryPoint()).isEqualTo(log.logEndOffset());
    }
}
