package io.strata.storage.log;

import io.strata.records.RecordBatch;
import io.strata.runtime.testing.MutableClock;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Crash, damage the tail of the active segment (cut it short, or overwrite bytes at a random
 * position with different ones), restart: the log must end exactly at the last whole valid batch
 * before the damage, and appends must continue at that offset.
 */
class RecoveryPropertiesTest {

    /** A batch as written: its byte range in the segment and its offsets. */
    record Written(int start, int size, long baseOffset, long nextOffset) {
    }

    @Property(tries = 40)
    void recoveryEndsAtTheLastWholeValidBatchBeforeTheDamage(
            @ForAll @IntRange(min = 1, max = 30) int batchCount,
            @ForAll boolean truncate,
            @ForAll long seed) throws IOException {
        Random random = new Random(seed);
        Path dir = Files.createTempDirectory("strata-recovery-");
        MutableClock clock = new MutableClock(1_700_000_000_000L);
        try {
            LogConfig config = LogConfig.defaults().withIndexIntervalBytes(random.nextInt(2000));
            Logs first = Logs.start(clock, dir);
            PartitionLog log = first.log("p", 0, config);
            List<Written> written = new ArrayList<>();
            int position = 0;
            for (int i = 0; i < batchCount; i++) {
                ByteBuffer batch = TestBatches.batch(1 + random.nextInt(5), 1 + random.nextInt(300), clock.millis() + i);
                int size = batch.remaining();
                LogAppendInfo info = log.append(batch, random.nextInt(3));
                written.add(new Written(position, size, info.firstOffset(), info.lastOffset() + 1));
                position += size;
            }
            first.crash();
            Path file = Segment.file(log.dir(), 0, Segment.LOG_SUFFIX);
            int fileSize = position;
            int damageAt = random.nextInt(fileSize);
            int damageEnd;
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                if (truncate) {
                    ch.truncate(damageAt);
                    damageEnd = fileSize;
                } else {
                    int length = Math.min(1 + random.nextInt(16), fileSize - damageAt);
                    ByteBuffer bytes = ByteBuffer.allocate(length);
                    ch.read(bytes, damageAt);
                    for (int i = 0; i < length; i++) {
                        bytes.put(i, (byte) (bytes.get(i) ^ (1 + random.nextInt(255))));
                    }
                    ch.write(bytes.flip(), damageAt);
                    damageEnd = damageAt + length;
                }
            }
            // The first batch hit outside its leader-epoch field (the one field nothing checks) is lost, and all after it.
            int survivors = 0;
            for (Written w : written) {
                boolean hit = false;
                for (int q = Math.max(damageAt, w.start()); q < Math.min(damageEnd, w.start() + w.size()); q++) {
                    int field = q - w.start();
                    boolean epochField = field >= RecordBatch.PARTITION_LEADER_EPOCH_OFFSET
                            && field < RecordBatch.MAGIC_OFFSET;
                    hit |= truncate || !epochField;
                }
                if (hit) {
                    break;
                }
                survivors++;
            }
            long expectedEnd = survivors == 0 ? 0 : written.get(survivors - 1).nextOffset();
            int expectedBytes = survivors == 0 ? 0 : written.get(survivors - 1).start() + written.get(survivors - 1).size();

            Logs second = Logs.start(clock, dir);
            try {
                PartitionLog reopened = second.log("p", 0, config);

                assertThat(reopened.logEndOffset()).isEqualTo(expectedEnd);
                assertThat(Files.size(file)).isEqualTo(expectedBytes);
                assertThat(reopened.recoveryResult().bytesTruncated())
                        .isEqualTo((truncate ? damageAt : fileSize) - expectedBytes);
                List<Long> bases = new ArrayList<>();
                long next = 0;
                while (next < reopened.logEndOffset()) {
                    LogReadResult r = reopened.read(next, 1 + random.nextInt(2000));
                    TestBatches.validBatches(r.batches());
                    bases.addAll(TestBatches.baseOffsets(r.batches()));
                    next = r.nextOffset();
                }
                assertThat(bases).isEqualTo(written.subList(0, survivors).stream().map(Written::baseOffset).toList());
                assertThat(reopened.append(TestBatches.batch(2, 10, 5), Integer.MAX_VALUE).firstOffset()).isEqualTo(expectedEnd);
                assertThat(reopened.read(expectedEnd, 100).nextOffset()).isEqualTo(expectedEnd + 2);
                assertThat(reopened.leaderEpochs().getLast()).isEqualTo(new EpochEntry(Integer.MAX_VALUE, expectedEnd));
            } finally {
                second.close();
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
