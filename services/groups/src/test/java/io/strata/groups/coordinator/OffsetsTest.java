package io.strata.groups.coordinator;

import io.strata.groups.assignor.TopicPartition;
import io.strata.proto.v1.CommitOffsetsRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.OffsetCommit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.CompletableFuture;

import static io.strata.groups.coordinator.Fixture.GROUP;
import static io.strata.groups.coordinator.Fixture.await;
import static io.strata.groups.coordinator.Fixture.error;
import static org.assertj.core.api.Assertions.assertThat;

@Timeout(30)
class OffsetsTest {

    private final Fixture f = new Fixture().topic("t", 4);

    private static OffsetCommit commit(String topic, int partition, long offset) {
        return OffsetCommit.newBuilder().setTopic(topic).setPartition(partition).setOffset(offset).build();
    }

    private static CommitOffsetsRequest request(String memberId, int epoch, OffsetCommit... commits) {
        return CommitOffsetsRequest.newBuilder().setGroupId(GROUP).setMemberId(memberId).setMemberEpoch(epoch)
                .addAllOffsets(List.of(commits)).build();
    }

    private long committed(int partition) {
        return f.coordinator.fetchOffsets(GROUP, List.of(new TopicPartition("t", partition))).getFirst().getOffset();
    }

    @Test
    void aMemberCommitsAtItsEpochAndTheOffsetIsStoredWithTheClocksTime() {
        Client a = f.client("t");
        a.join();

        await(f.coordinator.commitOffsets(request(a.memberId, a.epoch, commit("t", 0, 42))));

        OffsetCommit stored = f.persistence.stores().getLast().offsets().getFirst();
        assertThat(stored.getCommitTimestampMs()).isEqualTo(f.clock.millis());
        assertThat(committed(0)).isEqualTo(42);
        assertThat(f.coordinator.fetchOffsets(GROUP, List.of()).getFirst().getCommitTimestampMs()).isEqualTo(f.clock.millis());
        assertThat(committed(1)).isEqualTo(-1);
    }

    @Test
    void staleFencedAndUnknownCommitsAreRefusedAndChangeNothing() {
        Client a = f.client("t");
        a.join();
        Client b = f.client("t");
        b.join();
        a.poll();
        a.poll(); // a is now at epoch 2
        assertThat(a.epoch).isEqualTo(2);
        await(f.coordinator.commitOffsets(request(a.memberId, 2, commit("t", 0, 10))));
        int stores = f.persistence.stores().size();

        assertThat(error(f.coordinator.commitOffsets(request(a.memberId, 1, commit("t", 0, 99)))).code())
                .isEqualTo(ErrorCode.STALE_MEMBER_EPOCH);
        assertThat(error(f.coordinator.commitOffsets(request(a.memberId, 3, commit("t", 0, 99)))).code())
                .isEqualTo(ErrorCode.FENCED_MEMBER_EPOCH);
        assertThat(error(f.coordinator.commitOffsets(request("nobody", 2, commit("t", 0, 99)))).code())
                .isEqualTo(ErrorCode.UNKNOWN_MEMBER_ID);
        assertThat(error(f.coordinator.commitOffsets(request("", -1, commit("t", 0, 99)))).code())
                .as("a commit outside group management while the group has members")
                .isEqualTo(ErrorCode.UNKNOWN_MEMBER_ID);

        assertThat(committed(0)).isEqualTo(10);
        assertThat(f.persistence.stores()).hasSize(stores);
    }

    @Test
    void aCommitOutsideGroupManagementCreatesTheGroup() {
        await(f.coordinator.commitOffsets(request("", -1, commit("t", 1, 7))));

        assertThat(committed(1)).isEqualTo(7);
        assertThat(f.coordinator.listGroups()).singleElement()
                .satisfies(g -> assertThat(g.getState()).isEqualTo("empty"));
        assertThat(f.describe().getPartitionsList()).singleElement()
                .satisfies(p -> assertThat(p.getCommitted()).isEqualTo(7));
    }

    @Test
    void malformedCommitsAreRefusedNamingTheEntry() {
        assertRefused(ErrorCode.INVALID_REQUEST, "negative", commit("t", 0, -1));
        assertRefused(ErrorCode.INVALID_REQUEST, "partition -1", commit("t", -1, 1));
        assertRefused(ErrorCode.INVALID_REQUEST, "no topic", commit("", 0, 1));
        assertRefused(ErrorCode.INVALID_REQUEST, "twice", commit("t", 2, 1), commit("t", 2, 5));
        assertRefused(ErrorCode.INVALID_REQUEST, "metadata", commit("t", 0, 1).toBuilder()
                .setMetadata("m".repeat(4097)).build());
        assertRefused(ErrorCode.INVALID_REQUEST, "4098 bytes", commit("t", 0, 1).toBuilder()
                .setMetadata("é".repeat(2049)).build()); // the limit counts bytes, as Kafka's
        assertRefused(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "'nope'", commit("nope", 0, 1));
        assertRefused(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "partition 4", commit("t", 4, 1));
        assertThat(f.persistence.stores()).isEmpty();
        assertThat(f.coordinator.listGroups()).isEmpty();
    }

    private void assertRefused(ErrorCode code, String messagePart, OffsetCommit... commits) {
        GroupException e = error(f.coordinator.commitOffsets(request("", -1, commits)));
        assertThat(e.code()).isEqualTo(code);
        assertThat(e.getMessage()).contains(messagePart);
    }

    @Test
    void aFailedStoreLeavesTheCommittedOffsetsAsTheyWere() {
        await(f.coordinator.commitOffsets(request("", -1, commit("t", 0, 5))));
        f.persistence.manualStores = true;

        CompletableFuture<Void> commit = f.coordinator.commitOffsets(request("", -1, commit("t", 0, 6)));
        assertThat(commit).isNotDone();
        assertThat(committed(0)).as("not before it is stored").isEqualTo(5);
        RuntimeException down = new RuntimeException("store down");
        f.persistence.stores().getLast().future().completeExceptionally(down);

        assertThat(commit).isCompletedExceptionally();
        assertThat(commit.exceptionNow()).isSameAs(down);
        assertThat(committed(0)).isEqualTo(5);
    }

    @Test
    void anUnknownGroupHasNoOffsets() {
        assertThat(f.coordinator.fetchOffsets("other", List.of(new TopicPartition("t", 0), new TopicPartition("t", 3))))
                .extracting(OffsetCommit::getOffset).containsExactly(-1L, -1L);
        assertThat(f.coordinator.fetchOffsets("other", List.of())).isEmpty();
    }
}
