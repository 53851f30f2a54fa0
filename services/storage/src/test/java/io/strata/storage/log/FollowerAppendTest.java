package io.strata.storage.log;

import io.strata.runtime.testing.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.strata.storage.log.TestBatches.at;
import static io.strata.storage.log.TestBatches.batch;
import static io.strata.storage.log.TestBatches.concat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link PartitionLog#appendAsFollower}: the leader's batches, stored as the leader stored them. */
@Timeout(60)
class FollowerAppendTest {

    static final long T0 = 1_700_000_000_000L;

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

    private static List<Long> readAllBaseOffsets(PartitionLog log) {
        List<Long> bases = new ArrayList<>();
        long next = log.logStartOffset();
        while (next < log.logEndOffset()) {
            LogReadResult r = log.read(next, 4096);
            TestBatches.validBatches(r.batches());
            bases.addAll(TestBatches.baseOffsets(r.batches()));
            next = r.nextOffset();
        }
        return bases;
    }

    @Test
    void aFollowerAppendKeepsTheLeadersOffsetsAndEpochs() {
        PartitionLog log = open(LogConfig.defaults());
        ByteBuffer fetched = concat(at(batch(3, 10, T0), 0, 1), at(batch(2, 10, T0 + 5), 3, 1),
                at(batch(1, 10, T0 + 2), 5, 4));

        LogAppendInfo info = log.appendAsFollower(fetched);

        assertThat(info).isEqualTo(new LogAppendInfo(0, 5, T0 + 5, 3, 0, false));
        assertThat(fetched.hasRemaining()).as("consumed").isFalse();
        LogReadResult read = log.read(0, 1 << 20);
        assertThat(TestBatches.validBatches(read.batches())).isEqualTo(3);
        assertThat(TestBatches.baseOffsets(read.batches())).containsExactly(0L, 3L, 5L);
        assertThat(TestBatches.leaderEpochs(read.batches())).containsExactly(1, 1, 4);
        assertThat(log.leaderEpochs()).containsExactly(new EpochEntry(1, 0), new EpochEntry(4, 5));
        assertThat(log.logEndOffset()).isEqualTo(6);
    }

    @Test
    void aFollowerAppendThatLeavesAGapIsRefusedAndWritesNothing() {
        PartitionLog log = open(LogConfig.defaults());
        log.appendAsFollower(at(batch(2, 10, T0), 0, 1));
        long size = log.sizeInBytes();

        ByteBuffer ahead = at(batch(1, 10, T0), 3, 1);
        assertThatThrownBy(() -> log.appendAsFollower(ahead)).isInstanceOf(NonContiguousAppendException.class)
                .hasMessageContaining("t-0").hasMessageContaining("offset 2").hasMessageContaining("at 3");
        ByteBuffer gapInside = concat(at(batch(2, 10, T0), 2, 1), at(batch(1, 10, T0), 5, 2));
        assertThatThrownBy(() -> log.appendAsFollower(gapInside))
                .isInstanceOfSatisfying(NonContiguousAppendException.class, e -> {
                    assertThat(e.expectedOffset()).isEqualTo(4);
                    assertThat(e.foundOffset()).isEqualTo(5);
                });
        ByteBuffer behind = at(batch(1, 10, T0), 1, 1);
        assertThatThrownBy(() -> log.appendAsFollower(behind)).isInstanceOf(NonContiguousAppendException.class);

        assertThat(log.logEndOffset()).isEqualTo(2);
        assertThat(log.sizeInBytes()).isEqualTo(size);
        assertThat(log.leaderEpochs()).containsExactly(new EpochEntry(1, 0));
        assertThat(gapInside.position()).as("not consumed").isZero();
        assertThat(log.appendAsFollower(at(batch(1, 10, T0), 2, 1)).firstOffset()).isEqualTo(2);
    }

    @Test
    void aFollowerAppendRefusesWhatIsNotWholeBatches() {
        PartitionLog log = open(LogConfig.defaults());
        ByteBuffer torn = at(batch(2, 10, T0), 0, 1).limit(40);

        assertThatThrownBy(() -> log.appendAsFollower(torn)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> log.appendAsFollower(ByteBuffer.allocate(0)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(log.logEndOffset()).isZero();
    }

    @Test
    void followerAppendsRollSegmentsAndSurviveACrash() {
        LogConfig small = LogConfig.defaults().withSegmentBytes(2_000).withIndexIntervalBytes(300);
        PartitionLog log = open(small);
        long next = 0;
        List<Long> bases = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            int epoch = i < 30 ? 1 : 3;
            bases.add(next);
            next = log.appendAsFollower(at(batch(1 + i % 3, 40, T0 + i), next, epoch)).lastOffset() + 1;
        }
        assertThat(log.segmentCount()).isGreaterThan(3);
        logs.crash();

        PartitionLog reopened = open(small);

        assertThat(readAllBaseOffsets(reopened)).isEqualTo(bases);
        assertThat(reopened.leaderEpochs()).containsExactly(new EpochEntry(1, 0), new EpochEntry(3, bases.get(30)));
        assertThat(reopened.offsetForTimestamp(T0 + 45)).contains(new TimestampOffset(T0 + 45, bases.get(45)));
        assertThat(reopened.appendAsFollower(at(batch(1, 10, T0), next, 3)).firstOffset()).isEqualTo(next);
    }

    @Test
    void theFollowersProducerStateLetsItDeduplicateARetryOnceItLeads() {
        PartitionLog log = open(LogConfig.defaults());
        log.appendAsFollower(at(TestBatches.idempotent(7, 0, 0, 3, T0), 0, 1));
        log.appendAsFollower(at(batch(1, 10, T0), 3, 1));
        log.appendAsFollower(at(TestBatches.idempotent(7, 0, 3, 3, T0), 4, 1));

        // The follower becomes the leader in epoch 2; the producer retries its last batch.
        LogAppendInfo retry = log.append(TestBatches.idempotent(7, 0, 3, 3, T0), 2);

        assertThat(retry.duplicate()).isTrue();
        assertThat(retry.firstOffset()).isEqualTo(4);
        assertThat(retry.lastOffset()).isEqualTo(6);
        assertThat(log.logEndOffset()).isEqualTo(7);
        assertThatThrownBy(() -> log.append(TestBatches.idempotent(7, 0, 9, 1, T0), 2))
                .isInstanceOf(ProducerStateException.class);
        assertThat(log.append(TestBatches.idempotent(7, 0, 6, 1, T0), 2).firstOffset()).isEqualTo(7);
    }

    @Test
    void aFollowerAppendDoesNotCheckSequencesTheLeaderAccepted() {
        PartitionLog log = open(LogConfig.defaults());
        log.appendAsFollower(at(TestBatches.idempotent(7, 0, 0, 3, T0), 0, 1));

        // Sequence 10 after 2 would be out of order on a leader; the leader had its reasons (an expired producer).
        LogAppendInfo info = log.appendAsFollower(at(TestBatches.idempotent(7, 0, 10, 1, T0), 3, 1));

        assertThat(info.duplicate()).isFalse();
        assertThat(log.append(TestBatches.idempotent(7, 0, 10, 1, T0), 1).duplicate()).isTrue();
    }

    @Test
    void flushMessagesAppliesToFollowerAppends() {
        PartitionLog log = open(LogConfig.defaults().withFlush(1, Long.MAX_VALUE));

        for (int i = 0; i < 3; i++) {
            log.appendAsFollower(at(batch(2, 10, T0), 2L * i, 1));
            assertThat(log.recoveryPoint()).isEqualTo(log.logEndOffset());
        }
    }
}
