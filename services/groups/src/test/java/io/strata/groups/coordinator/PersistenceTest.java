package io.strata.groups.coordinator;

import io.strata.proto.v1.CommitOffsetsRequest;
import io.strata.proto.v1.GroupHeartbeatResponse;
import io.strata.proto.v1.GroupRecord;
import io.strata.proto.v1.MemberRecord;
import io.strata.proto.v1.OffsetCommit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import static io.strata.groups.coordinator.Fixture.GROUP;
import static io.strata.groups.coordinator.Fixture.await;
import static io.strata.groups.coordinator.Fixture.range;
import static org.assertj.core.api.Assertions.assertThat;

@Timeout(30)
class PersistenceTest {

    private final Fixture f = new Fixture().topic("t", 4);

    @Test
    void everyFieldOfTheRecordIsWritten() {
        Client a = f.client("t").instance("host-1").session(4000).rebalance(7000);
        a.rack = "rack-1";
        a.assignor = "range";
        a.join();

        GroupRecord record = f.persistence.lastRecord(GROUP);
        assertThat(record.getGroupId()).isEqualTo(GROUP);
        assertThat(record.getGroupEpoch()).isEqualTo(1);
        assertThat(record.getAssignmentEpoch()).isEqualTo(1);
        assertThat(record.getAssignor()).isEqualTo("range");
        assertThat(record.getPartitionCountsMap()).containsExactly(Map.entry("t", 4));
        MemberRecord member = record.getMembers(0);
        assertThat(member.getMemberId()).isEqualTo(a.memberId);
        assertThat(member.getInstanceId()).isEqualTo("host-1");
        assertThat(member.getClientId()).isEqualTo("client-host-1");
        assertThat(member.getClientHost()).isEqualTo("10.0.0.7");
        assertThat(member.getRack()).isEqualTo("rack-1");
        assertThat(member.getSubscribedTopicNamesList()).containsExactly("t");
        assertThat(member.getServerAssignor()).isEqualTo("range");
        assertThat(member.getSessionTimeoutMs()).isEqualTo(4000);
        assertThat(member.getRebalanceTimeoutMs()).isEqualTo(7000);
        assertThat(member.getMemberEpoch()).isEqualTo(1);
        assertThat(member.getPreviousMemberEpoch()).isEqualTo(0);
        assertThat(member.getState()).isEqualTo("stable");
        assertThat(GroupRecords.fromProto(member.getAssignedList())).isEqualTo(range("t", 4));
        assertThat(GroupRecords.fromProto(member.getTargetList())).isEqualTo(range("t", 4));
        assertThat(member.getPendingRevocationList()).isEmpty();
        assertThat(member.getDeparted()).isFalse();
    }

    @Test
    void plainHeartbeatsDoNotWrite() {
        Client a = f.client("t");
        a.join();
        int writes = f.persistence.puts().size();
        for (int i = 0; i < 5; i++) {
            f.advance(Duration.ofSeconds(1));
            a.poll();
        }
        assertThat(f.persistence.puts()).hasSize(writes);
    }

    @Test
    void changesDuringAWriteInFlightShareTheNextWriteWhichCarriesTheNewestRecord() {
        f.persistence.manualPuts = true;
        Client a = f.client("t");
        CompletableFuture<GroupHeartbeatResponse> first = a.send();
        assertThat(f.persistence.puts()).hasSize(1);
        assertThat(first).as("answered only once stored").isNotDone();

        CompletableFuture<GroupHeartbeatResponse> second = f.client("t").send();
        CompletableFuture<GroupHeartbeatResponse> third = f.client("t").send();
        assertThat(f.persistence.puts()).as("one write in flight per group").hasSize(1);

        f.persistence.puts().getFirst().future().complete(null);
        assertThat(first).isCompleted();
        assertThat(second).isNotDone();
        assertThat(third).isNotDone();
        assertThat(f.persistence.puts()).as("exactly one more write").hasSize(2);
        GroupRecord newest = f.persistence.puts().get(1).record();
        assertThat(newest.getMembersCount()).isEqualTo(3);
        assertThat(newest.getGroupEpoch()).isEqualTo(3);

        f.persistence.puts().get(1).future().complete(null);
        assertThat(await(second).getMemberEpoch()).isEqualTo(2);
        assertThat(await(third).getMemberEpoch()).isEqualTo(3);
        assertThat(f.persistence.puts()).hasSize(2);
    }

    @Test
    void aPlainHeartbeatWaitsForTheWriteOfTheStateItShows() {
        Client a = f.client("t");
        Client stat = f.client("t").instance("host-1");
        f.settle(List.of(a, stat));
        int writes = f.persistence.puts().size();
        f.persistence.manualPuts = true;
        CompletableFuture<GroupHeartbeatResponse> departure = f.coordinator.heartbeat(stat.request(-2), "h");
        assertThat(f.persistence.pendingPuts()).hasSize(1);

        CompletableFuture<GroupHeartbeatResponse> beat = a.send();

        assertThat(beat).as("it shows a group whose record is not stored yet").isNotDone();
        f.persistence.pendingPuts().getFirst().future().complete(null);
        await(departure);
        assertThat(await(beat).hasAssignment()).isFalse();
        assertThat(f.persistence.puts()).as("the plain heartbeat wrote nothing itself").hasSize(writes + 1);
    }

    @Test
    void aFailedWriteFailsItsHeartbeatsKeepsTheStateAndTheNextWriteRetries() {
        f.persistence.manualPuts = true;
        Client a = f.client("t");
        CompletableFuture<GroupHeartbeatResponse> join = a.send();
        RuntimeException down = new RuntimeException("coordination unreachable");
        f.persistence.puts().getFirst().future().completeExceptionally(down);

        assertThat(join).isCompletedExceptionally();
        assertThat(join.exceptionNow()).isSameAs(down);
        assertThat(f.describe().getMembersList()).as("the state stays in memory").hasSize(1);

        f.tick();
        assertThat(f.persistence.puts()).as("no retry within the backoff").hasSize(1);
        f.advance(Duration.ofMillis(RecordWriter.RETRY_BACKOFF_MS));
        f.tick();
        assertThat(f.persistence.puts()).hasSize(2);
        assertThat(f.persistence.puts().get(1).record().getMembersCount()).isEqualTo(1);

        // A change while the retry is in flight waits for the write after it.
        CompletableFuture<GroupHeartbeatResponse> second = f.client("t").send();
        f.persistence.puts().get(1).future().complete(null);
        assertThat(second).isNotDone();
        f.persistence.puts().get(2).future().complete(null);
        assertThat(await(second).getMemberEpoch()).isEqualTo(2);
        assertThat(f.persistence.puts().get(2).record().getMembersCount()).isEqualTo(2);
    }

    @Test
    void aNewChangeAfterAFailureWritesAtOnce() {
        f.persistence.manualPuts = true;
        CompletableFuture<GroupHeartbeatResponse> join = f.client("t").send();
        f.persistence.puts().getFirst().future().completeExceptionally(new RuntimeException("down"));
        assertThat(join).isCompletedExceptionally();

        CompletableFuture<GroupHeartbeatResponse> second = f.client("t").send();
        assertThat(f.persistence.puts()).hasSize(2);
        assertThat(f.persistence.puts().get(1).record().getMembersCount()).isEqualTo(2);
        f.persistence.puts().get(1).future().complete(null);
        assertThat(await(second).getMemberEpoch()).isEqualTo(2);
    }

    @Test
    void aTakeOverResumesMembersWithTheirEpochsAndAssignmentsWithoutARebalance() {
        Client a = f.client("t");
        Client b = f.client("t");
        f.settle(List.of(a, b));
        await(f.coordinator.commitOffsets(CommitOffsetsRequest.newBuilder().setGroupId(GROUP).setMemberId(a.memberId)
                .setMemberEpoch(a.epoch).addOffsets(OffsetCommit.newBuilder().setTopic("t").setPartition(0).setOffset(3))
                .build()));
        int epoch = f.groupEpoch();
        Set<?> aOwned = Set.copyOf(a.owned);
        int writes = f.persistence.puts().size();

        f.advance(Duration.ofSeconds(8));
        f.failOver();
        f.advance(Duration.ofSeconds(9));
        f.tick();
        assertThat(f.describe().getMembersList()).as("sessions restart at the take-over").hasSize(2);

        GroupHeartbeatResponse resumed = a.heartbeat();
        assertThat(resumed.getMemberEpoch()).isEqualTo(epoch);
        assertThat(resumed.hasAssignment()).as("the first response after a take-over carries the assignment").isTrue();
        assertThat(a.assignment).isEqualTo(aOwned);
        assertThat(b.heartbeat().hasAssignment()).isTrue();
        assertThat(f.groupEpoch()).isEqualTo(epoch);
        assertThat(f.persistence.puts()).as("nothing changed").hasSize(writes);
        assertThat(f.coordinator.fetchOffsets(GROUP, List.of()).getFirst().getOffset()).isEqualTo(3);
        f.checkInvariants(GROUP);
    }

    @Test
    void aTakeOverInTheMiddleOfARevocationKeepsWaitingForIt() {
        Client a = f.client("t");
        a.join();
        Client b = f.client("t");
        b.join();
        a.heartbeat(); // asked to revoke
        f.failOver();
        b.poll();
        assertThat(b.owned).isEmpty();
        a.reconcile();
        a.poll();
        b.poll();
        assertThat(b.owned).hasSize(2);
        f.checkInvariants(GROUP);
    }
}
