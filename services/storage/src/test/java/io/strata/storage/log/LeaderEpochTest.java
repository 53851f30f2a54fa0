package io.strata.storage.log;

import io.strata.runtime.testing.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static io.strata.storage.log.TestBatches.batch;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link PartitionLog#endOffsetForEpoch} and {@link PartitionLog#assignEpochStartOffset}. */
@Timeout(30)
class LeaderEpochTest {

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

    /** Epoch 1 at [0, 10), epoch 3 at [10, 20), epoch 5 from 20; the log ends at 30. */
    private PartitionLog logWithEpochs135() {
        PartitionLog log = open();
        log.append(batch(10, 10, 1), 1);
        log.append(batch(10, 10, 1), 3);
        log.append(batch(5, 10, 1), 5);
        log.append(batch(5, 10, 1), 5);
        return log;
    }

    @Test
    void anEmptyCacheAnswersNoEpochAtTheLogStart() {
        PartitionLog log = open();
        log.append(batch(3, 10, 1), -1);

        assertThat(log.endOffsetForEpoch(0)).isEqualTo(new EpochEndOffset(-1, 0));
        assertThat(log.endOffsetForEpoch(7)).isEqualTo(new EpochEndOffset(-1, 0));
        assertThat(log.latestEpoch()).isEqualTo(-1);
    }

    @Test
    void aKnownEpochEndsWhereTheNextStartsAndTheLatestAtTheLogEnd() {
        PartitionLog log = logWithEpochs135();

        assertThat(log.endOffsetForEpoch(1)).isEqualTo(new EpochEndOffset(1, 10));
        assertThat(log.endOffsetForEpoch(3)).isEqualTo(new EpochEndOffset(3, 20));
        assertThat(log.endOffsetForEpoch(5)).isEqualTo(new EpochEndOffset(5, 30));
    }

    @Test
    void anEpochBetweenTwoKnownOnesIsAnsweredByTheLowerOne() {
        PartitionLog log = logWithEpochs135();

        assertThat(log.endOffsetForEpoch(2)).isEqualTo(new EpochEndOffset(1, 10));
        assertThat(log.endOffsetForEpoch(4)).isEqualTo(new EpochEndOffset(3, 20));
    }

    @Test
    void anEpochAboveTheLatestIsAnsweredByTheLatestAtTheLogEnd() {
        PartitionLog log = logWithEpochs135();

        assertThat(log.endOffsetForEpoch(9)).isEqualTo(new EpochEndOffset(5, 30));
    }

    @Test
    void anEpochBelowTheEarliestIsAnsweredWithNoEpochAtTheLogStart() {
        PartitionLog log = logWithEpochs135();

        assertThat(log.endOffsetForEpoch(0)).isEqualTo(new EpochEndOffset(-1, 0));
    }

    @Test
    void aNewLeaderAssignsItsEpochAtTheLogEndBeforeItsFirstAppend() throws Exception {
        PartitionLog log = logWithEpochs135();

        log.assignEpochStartOffset(7, 30);

        assertThat(log.latestEpoch()).isEqualTo(7);
        assertThat(log.endOffsetForEpoch(5)).isEqualTo(new EpochEndOffset(5, 30));
        assertThat(log.endOffsetForEpoch(7)).isEqualTo(new EpochEndOffset(7, 30));
        assertThat(Files.readString(log.dir().resolve(LeaderEpochCache.FILE_NAME)))
                .isEqualTo("0\n4\n1 0\n3 10\n5 20\n7 30\n");
        log.append(batch(2, 10, 1), 7);
        assertThat(log.endOffsetForEpoch(7)).isEqualTo(new EpochEndOffset(7, 32));
        assertThat(log.leaderEpochs()).hasSize(4);
    }

    @Test
    void anEpochAssignedAtTheSameOffsetReplacesOneThatWroteNothing() {
        PartitionLog log = logWithEpochs135();
        log.assignEpochStartOffset(7, 30);

        log.assignEpochStartOffset(8, 30);

        assertThat(log.leaderEpochs()).containsExactly(new EpochEntry(1, 0), new EpochEntry(3, 10),
                new EpochEntry(5, 20), new EpochEntry(8, 30));
        assertThat(log.endOffsetForEpoch(7)).isEqualTo(new EpochEndOffset(5, 30));
    }

    @Test
    void assigningAnEpochNotAboveTheLatestDoesNothingAndAStartPastTheEndIsRefused() {
        PartitionLog log = logWithEpochs135();

        log.assignEpochStartOffset(5, 30);
        log.assignEpochStartOffset(4, 30);

        assertThat(log.latestEpoch()).isEqualTo(5);
        assertThatThrownBy(() -> log.assignEpochStartOffset(6, 31)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> log.assignEpochStartOffset(6, 19)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anAssignedEpochSurvivesARestartOnceItHasBatchesAndIsDroppedWithoutAsInKafka() {
        PartitionLog log = logWithEpochs135();
        log.assignEpochStartOffset(7, 30);
        logs.close();

        PartitionLog reopened = open();

        assertThat(reopened.latestEpoch()).as("recovery drops epochs starting at the log end").isEqualTo(5);
        reopened.assignEpochStartOffset(7, 30);
        reopened.append(batch(1, 10, 1), 7);
        logs.crash();

        PartitionLog again = open();

        assertThat(again.latestEpoch()).isEqualTo(7);
        assertThat(again.endOffsetForEpoch(6)).isEqualTo(new EpochEndOffset(5, 30));
        assertThat(again.endOffsetForEpoch(7)).isEqualTo(new EpochEndOffset(7, 31));
    }
}
