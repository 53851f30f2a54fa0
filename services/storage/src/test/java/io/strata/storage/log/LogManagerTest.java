package io.strata.storage.log;

import io.strata.runtime.testing.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(30)
class LogManagerTest {

    @TempDir
    Path root;
    MutableClock clock = new MutableClock(1_700_000_000_000L);
    List<Logs> opened = new ArrayList<>();

    @AfterEach
    void stop() {
        opened.forEach(Logs::close);
    }

    private Logs start(Path... dirs) {
        Logs logs = Logs.start(clock, dirs);
        opened.add(logs);
        return logs;
    }

    private static long partitionDirs(Path logDir) throws Exception {
        try (Stream<Path> s = Files.list(logDir)) {
            return s.filter(Files::isDirectory).count();
        }
    }

    @Test
    void newPartitionsGoToTheLogDirWithTheFewestAndAReopenFindsThemAll() throws Exception {
        Path a = root.resolve("a");
        Path b = root.resolve("b");
        Path c = root.resolve("c");
        Logs logs = start(a, b, c);
        for (int p = 0; p < 6; p++) {
            logs.log("events", p, LogConfig.defaults()).append(TestBatches.batch(p + 1, 10, 1), 0);
        }

        assertThat(partitionDirs(a)).isEqualTo(2);
        assertThat(partitionDirs(b)).isEqualTo(2);
        assertThat(partitionDirs(c)).isEqualTo(2);
        logs.close();
        opened.clear();

        Logs reopened = start(a, b, c);
        assertThat(reopened.manager.allLogs()).hasSize(6);
        for (int p = 0; p < 6; p++) {
            PartitionLog log = reopened.manager.getLog(new TopicPartition("events", p)).orElseThrow();
            assertThat(log.logEndOffset()).isEqualTo(p + 1);
            assertThat(log.topicId()).isEqualTo(Logs.TOPIC_ID);
        }
        assertThat(Files.readString(a.resolve(OffsetCheckpoint.RECOVERY_POINT_FILE)))
                .startsWith("0\n2\n").contains("events 0 1\n");
    }

    @Test
    void getOrCreateLogReturnsTheExistingLogWithTheNewConfig() {
        Logs logs = start(root);
        PartitionLog first = logs.log("t", 0, LogConfig.defaults());
        LogConfig smaller = LogConfig.defaults().withSegmentBytes(1000);

        PartitionLog again = logs.log("t", 0, smaller);

        assertThat(again).isSameAs(first);
        assertThat(again.config()).isEqualTo(smaller);
    }

    @Test
    void getOrCreateLogWithAnotherTopicIdReplacesTheOldLog() throws Exception {
        Logs logs = start(root);
        TopicPartition tp = new TopicPartition("t", 0);
        PartitionLog old = logs.manager.getOrCreateLog(tp, "old-id", LogConfig.defaults());
        old.append(TestBatches.batch(5, 10, 1), 0);

        PartitionLog fresh = logs.manager.getOrCreateLog(tp, "new-id", LogConfig.defaults());

        assertThat(fresh).isNotSameAs(old);
        assertThat(fresh.logEndOffset()).isZero();
        assertThat(fresh.topicId()).isEqualTo("new-id");
        assertThat(Files.readString(fresh.dir().resolve(PartitionMetadataFile.FILE_NAME)))
                .isEqualTo("version: 0\ntopic_id: new-id\n");
        assertThatThrownBy(() -> old.append(TestBatches.batch(1, 10, 1), 0)).isInstanceOf(LogStorageException.class);
        assertThat(partitionDirs(root)).isEqualTo(1);
    }

    @Test
    void deleteLogRemovesTheDirectoryAndTheCheckpointEntry() throws Exception {
        Logs logs = start(root);
        PartitionLog log = logs.log("t", 3, LogConfig.defaults());
        logs.log("t", 4, LogConfig.defaults());

        logs.manager.deleteLog(new TopicPartition("t", 3));

        assertThat(log.dir()).doesNotExist();
        assertThat(logs.manager.getLog(new TopicPartition("t", 3))).isEmpty();
        assertThat(Files.readString(root.resolve(OffsetCheckpoint.RECOVERY_POINT_FILE))).isEqualTo("0\n1\nt 4 0\n");
    }

    @Test
    void startupRemovesDirectoriesOfInterruptedDeletions() throws Exception {
        Files.createDirectories(root.resolve("t-0.abc123-delete"));
        Files.writeString(root.resolve("t-0.abc123-delete").resolve("00000000000000000000.log"), "x");

        Logs logs = start(root);

        assertThat(root.resolve("t-0.abc123-delete")).doesNotExist();
        assertThat(logs.manager.allLogs()).isEmpty();
    }

    @Test
    void theLeaderEpochCheckpointRecordsEachNewerEpochAndSurvivesARestart() throws Exception {
        Logs logs = start(root);
        PartitionLog log = logs.log("t", 0, LogConfig.defaults());
        log.append(TestBatches.batch(2, 10, 1), 0);
        log.append(TestBatches.batch(2, 10, 1), 0);
        log.append(TestBatches.batch(3, 10, 1), 2);
        log.append(TestBatches.batch(1, 10, 1), 1);
        log.append(TestBatches.batch(1, 10, 1), 5);

        List<EpochEntry> expected = List.of(new EpochEntry(0, 0), new EpochEntry(2, 4), new EpochEntry(5, 8));
        assertThat(log.leaderEpochs()).isEqualTo(expected);
        assertThat(log.latestEpoch()).isEqualTo(5);
        assertThat(Files.readString(log.dir().resolve(LeaderEpochCache.FILE_NAME)))
                .isEqualTo("0\n3\n0 0\n2 4\n5 8\n");
        logs.close();
        opened.clear();

        assertThat(start(root).log("t", 0, LogConfig.defaults()).leaderEpochs()).isEqualTo(expected);
    }

    @Test
    void aNewLogDirIsACleanStartAndACleanCloseLeavesTheMarkerForTheNextStart() throws Exception {
        Logs logs = start(root);
        assertThat(logs.manager.recoveredFromUncleanShutdown()).isFalse();
        logs.log("t", 0, LogConfig.defaults()).append(TestBatches.batch(2, 10, 1), 0);
        logs.close();
        opened.clear();
        assertThat(root.resolve(LogManager.CLEAN_SHUTDOWN_FILE)).exists();

        Logs reopened = start(root);

        assertThat(reopened.manager.recoveredFromUncleanShutdown()).isFalse();
        assertThat(root.resolve(LogManager.CLEAN_SHUTDOWN_FILE)).as("deleted at startup").doesNotExist();
    }

    @Test
    void aCrashIsReportedAsAnUncleanShutdownByTheNextStart() {
        Logs logs = start(root);
        logs.log("t", 0, LogConfig.defaults()).append(TestBatches.batch(2, 10, 1), 0);
        logs.crash();

        Logs reopened = start(root);

        assertThat(reopened.manager.recoveredFromUncleanShutdown()).isTrue();
        reopened.close();
        opened.clear();
        assertThat(start(root).manager.recoveredFromUncleanShutdown()).isFalse();
    }

    @Test
    void aPartitionInTwoLogDirsFailsStartup() throws Exception {
        Files.createDirectories(root.resolve("a").resolve("t-0"));
        Files.createDirectories(root.resolve("b").resolve("t-0"));

        assertThatThrownBy(() -> start(root.resolve("a"), root.resolve("b")))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("two log dirs");
    }

    @Test
    void topicPartitionDirNamesSplitAtTheLastDash() {
        assertThat(new TopicPartition("my-topic", 3).dirName()).isEqualTo("my-topic-3");
        assertThat(TopicPartition.parseDirName("my-topic-3")).contains(new TopicPartition("my-topic", 3));
        assertThat(TopicPartition.parseDirName("t-0.abc-delete")).isEmpty();
        assertThat(TopicPartition.parseDirName("-3")).isEmpty();
        assertThat(TopicPartition.parseDirName("t-")).isEmpty();
        assertThat(TopicPartition.parseDirName("t-99999999999")).isEmpty();
        assertThatThrownBy(() -> new TopicPartition("a b", 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TopicPartition("..", 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TopicPartition("t", -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void logConfigTakesTheEffectiveTopicConfigAndDefaultsTheRest() {
        LogConfig c = LogConfig.fromEffective(Map.of("segment.bytes", "1000", "retention.ms", "-1",
                "flush.messages", "1", "cleanup.policy", "delete"));

        assertThat(c).isEqualTo(new LogConfig(1000, 604_800_000L, -1, -1, 4096, 1_048_576, 1, Long.MAX_VALUE, 60_000));
        assertThat(LogConfig.fromEffective(Map.of())).isEqualTo(LogConfig.defaults());
        assertThatThrownBy(() -> LogConfig.fromEffective(Map.of("segment.bytes", "lots")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("segment.bytes");
        assertThatThrownBy(() -> LogConfig.fromEffective(Map.of("segment.bytes", "0")))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
