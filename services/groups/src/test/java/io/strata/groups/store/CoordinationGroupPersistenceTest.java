package io.strata.groups.store;

import io.strata.groups.coordinator.GroupException;
import io.strata.groups.instance.GroupsInstance;
import io.strata.groups.testing.GroupsCluster;
import io.strata.proto.v1.ElectionFence;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.GroupRecord;
import io.strata.proto.v1.OffsetCommit;
import io.strata.proto.v1.StoredGroup;
import io.strata.runtime.HostPort;
import io.strata.runtime.coordination.CoordinationChannels;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static io.strata.groups.testing.GroupsCluster.WAIT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Writes carry the term's fence: once another instance's term leads, an old term's writes change nothing. */
@Timeout(120)
class CoordinationGroupPersistenceTest {

    @TempDir
    Path dir;

    private GroupsCluster cluster;
    private CoordinationChannels channels;

    @BeforeEach
    void start() throws Exception {
        cluster = new GroupsCluster(dir, 1);
        channels = cluster.coordinationChannels();
    }

    @AfterEach
    void stop() throws Exception {
        channels.close();
        cluster.close();
    }

    private CoordinationGroupPersistence persistence(long term, AtomicBoolean active, AtomicInteger deposed) {
        return new CoordinationGroupPersistence(channels, cluster.scheduler(), ElectionFence.newBuilder()
                .setElection(GroupsInstance.ELECTION).setTerm(term).build(), active::get, deposed::incrementAndGet);
    }

    private static GroupRecord record(String group, int epoch) {
        return GroupRecord.newBuilder().setGroupId(group).setGroupEpoch(epoch).setAssignor("uniform").build();
    }

    private static void assertRefusedAsDeposed(CompletableFuture<Void> write) {
        assertThatThrownBy(write::join).isInstanceOf(CompletionException.class).cause().isInstanceOfSatisfying(GroupException.class,
                g -> assertThat(g.code()).isEqualTo(ErrorCode.NOT_COORDINATOR));
    }

    @Test
    void anInstanceWhoseTermEndedCannotWrite() throws Exception {
        GroupsCluster.Instance first = cluster.instance();
        await().atMost(WAIT).until(first.groups()::isLeader);
        long firstTerm = first.groups().currentTerm().orElseThrow();
        GroupsCluster.Instance second = cluster.instance();
        await().atMost(WAIT).until(second.groups()::registered);

        AtomicBoolean oldActive = new AtomicBoolean(true);
        AtomicInteger oldDeposed = new AtomicInteger();
        CoordinationGroupPersistence old = persistence(firstTerm, oldActive, oldDeposed);
        old.putRecord(record("fenced", 1)).join();
        old.storeOffsets("fenced", List.of(OffsetCommit.newBuilder().setTopic("t").setPartition(0).setOffset(5)
                .setCommitTimestampMs(1).build())).join();

        first.close();
        await().atMost(WAIT).until(second.groups()::isLeader);
        long secondTerm = second.groups().currentTerm().orElseThrow();
        assertThat(secondTerm).isGreaterThan(firstTerm);

        // The deposed term's writes are refused by coordination and reported as a deposition.
        assertRefusedAsDeposed(old.putRecord(record("fenced", 2)));
        assertRefusedAsDeposed(old.storeOffsets("fenced", List.of(OffsetCommit.newBuilder().setTopic("t").setPartition(0).setOffset(9)
                .setCommitTimestampMs(2).build())));
        assertRefusedAsDeposed(old.deleteGroup("fenced"));
        assertThat(oldDeposed.get()).isEqualTo(3);
        StoredGroup stored = cluster.loadGroups().stream().filter(g -> g.getGroupId().equals("fenced")).findFirst().orElseThrow();
        assertThat(stored.getRecord().getGroupEpoch()).isEqualTo(1);
        assertThat(stored.getOffsetsList()).extracting(OffsetCommit::getOffset).containsExactly(5L);

        // Once the term ended here, nothing is even sent.
        oldActive.set(false);
        assertRefusedAsDeposed(old.putRecord(record("fenced", 3)));
        assertThat(oldDeposed.get()).isEqualTo(3);

        // The new term writes.
        CoordinationGroupPersistence current = persistence(secondTerm, new AtomicBoolean(true), new AtomicInteger());
        current.putRecord(record("fenced", 4)).join();
        current.deleteGroup("fenced").join();
        assertThat(cluster.loadGroups()).noneMatch(g -> g.getGroupId().equals("fenced"));
    }

    @Test
    void anUnreachableCoordinationIsRetriedWithinABoundThenReportedAsRetriable() throws Exception {
        int dead;
        try (ServerSocket s = new ServerSocket(0)) {
            dead = s.getLocalPort();
        }
        try (CoordinationChannels nowhere = new CoordinationChannels(List.of(new HostPort("127.0.0.1", dead)))) {
            AtomicBoolean active = new AtomicBoolean(true);
            CoordinationGroupPersistence p = new CoordinationGroupPersistence(nowhere, cluster.scheduler(),
                    ElectionFence.newBuilder().setElection(GroupsInstance.ELECTION).setTerm(1).build(), active::get, () -> { });
            long began = System.nanoTime();
            CompletableFuture<Void> write = p.putRecord(record("g", 1));
            assertThatThrownBy(write::join).cause().isInstanceOfSatisfying(GroupException.class,
                    g -> assertThat(g.code()).isEqualTo(ErrorCode.METADATA_UNAVAILABLE));
            long tookMs = (System.nanoTime() - began) / 1_000_000;
            assertThat(tookMs).isBetween(CoordinationGroupPersistence.RETRY_BUDGET_MS - 2_000, CoordinationGroupPersistence.RETRY_BUDGET_MS + 2_000);

            // A term that ends while retrying stops the retries.
            CompletableFuture<Void> second = p.putRecord(record("g", 2));
            active.set(false);
            assertThatThrownBy(second::join).cause().isInstanceOfSatisfying(GroupException.class,
                    g -> assertThat(g.code()).isEqualTo(ErrorCode.NOT_COORDINATOR));
        }
    }
}
