package io.strata.client.consumer;

import io.strata.client.StrataException;
import io.strata.client.TopicPartition;
import io.strata.client.internal.Backoff;
import io.strata.proto.v1.Assignment;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.GroupHeartbeatRequest;
import io.strata.proto.v1.GroupHeartbeatResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The membership state machine on its own: time is an argument, requests are values, the
 * coordinator's answers are handed in. No threads, no network.
 */
@Timeout(10)
class MembershipManagerTest {

    private static final TopicPartition T0 = new TopicPartition("t", 0);
    private static final TopicPartition T1 = new TopicPartition("t", 1);
    private static final TopicPartition T2 = new TopicPartition("t", 2);
    private static final int SESSION_MS = 10_000;
    private static final int POLL_INTERVAL_MS = 300_000;

    private final AtomicInteger nudges = new AtomicInteger();

    private MembershipManager manager(Optional<String> instanceId) {
        return new MembershipManager("g", instanceId, "client-1", "rack-a", POLL_INTERVAL_MS, SESSION_MS, "uniform",
                new Backoff(100, 1_000), nudges::incrementAndGet);
    }

    private static GroupHeartbeatResponse answer(String memberId, int epoch, int intervalMs, TopicPartition... assigned) {
        return GroupHeartbeatResponse.newBuilder().setMemberId(memberId).setMemberEpoch(epoch)
                .setHeartbeatIntervalMs(intervalMs)
                .setAssignment(Assignment.newBuilder().addAllPartitions(MembershipManager.toWire(Set.of(assigned))))
                .build();
    }

    private static GroupHeartbeatResponse unchanged(String memberId, int epoch, int intervalMs) {
        return GroupHeartbeatResponse.newBuilder().setMemberId(memberId).setMemberEpoch(epoch)
                .setHeartbeatIntervalMs(intervalMs).build();
    }

    private static Set<TopicPartition> owned(GroupHeartbeatRequest r) {
        return MembershipManager.fromWire(r.getOwnedPartitionsList());
    }

    /** Joins at time 0 and applies the first assignment as the application would: returns the manager at epoch 1. */
    private MembershipManager joined(Optional<String> instanceId, TopicPartition... assigned) {
        MembershipManager m = manager(instanceId);
        m.subscribe(MembershipManager.Subscription.of(List.of("t")), 0);
        m.pollStarted(0);
        GroupHeartbeatRequest join = m.pollHeartbeat(0);
        m.onResponse(join, answer("m1", 1, 1_000, assigned), 0);
        MembershipManager.Change c = m.takeChange();
        m.reconciled(c, c.target(), 0);
        GroupHeartbeatRequest ack = m.pollHeartbeat(0);
        if (ack != null) {
            m.onResponse(ack, unchanged("m1", 1, 1_000), 0);
        }
        return m;
    }

    @Test
    void joinSendsEpochZeroAnEmptyMemberIdAndTheSubscription() {
        MembershipManager m = manager(Optional.empty());
        assertThat(m.pollHeartbeat(0)).as("nothing before subscribe").isNull();

        m.subscribe(MembershipManager.Subscription.of(List.of("t", "u")), 0);
        GroupHeartbeatRequest join = m.pollHeartbeat(0);

        assertThat(join.getGroupId()).isEqualTo("g");
        assertThat(join.getMemberId()).isEmpty();
        assertThat(join.getMemberEpoch()).isZero();
        assertThat(join.getSubscribedTopicNamesList()).containsExactlyInAnyOrder("t", "u");
        assertThat(join.getSubscribedTopicRegex()).isEmpty();
        assertThat(join.getSessionTimeoutMs()).isEqualTo(SESSION_MS);
        assertThat(join.getRebalanceTimeoutMs()).isEqualTo(POLL_INTERVAL_MS);
        assertThat(join.getServerAssignor()).isEqualTo("uniform");
        assertThat(join.getClientId()).isEqualTo("client-1");
        assertThat(join.getRack()).isEqualTo("rack-a");
        assertThat(join.getOwnedPartitionsList()).isEmpty();
        assertThat(m.pollHeartbeat(0)).as("one heartbeat in flight at a time").isNull();
    }

    @Test
    void aPatternSubscriptionIsSentAsARegex() {
        MembershipManager m = manager(Optional.empty());
        m.subscribe(MembershipManager.Subscription.of(Pattern.compile("orders-.*")), 0);
        GroupHeartbeatRequest join = m.pollHeartbeat(0);
        assertThat(join.getSubscribedTopicRegex()).isEqualTo("orders-.*");
        assertThat(join.getSubscribedTopicNamesList()).isEmpty();
    }

    @Test
    void theAssignmentIsHandedToTheApplicationAndItsAcknowledgementSentAtOnce() {
        MembershipManager m = manager(Optional.empty());
        m.subscribe(MembershipManager.Subscription.of(List.of("t")), 0);
        GroupHeartbeatRequest join = m.pollHeartbeat(0);
        int before = nudges.get();

        m.onResponse(join, answer("m1", 1, 1_000, T0, T1), 5);

        assertThat(nudges.get()).as("the application thread is told").isGreaterThan(before);
        assertThat(m.hasChange()).isTrue();
        MembershipManager.Change c = m.takeChange();
        assertThat(c.lost()).isFalse();
        assertThat(c.joined()).isTrue();
        assertThat(c.target()).containsExactly(T0, T1);
        assertThat(m.pollHeartbeat(6)).as("nothing due before the interval").isNull();

        m.reconciled(c, Set.of(T0, T1), 6);

        assertThat(m.hasChange()).isFalse();
        GroupHeartbeatRequest ack = m.pollHeartbeat(6);
        assertThat(ack).as("the new owned set is acknowledged at once, not after the interval").isNotNull();
        assertThat(ack.getMemberId()).isEqualTo("m1");
        assertThat(ack.getMemberEpoch()).isEqualTo(1);
        assertThat(owned(ack)).containsExactly(T0, T1);
    }

    @Test
    void heartbeatsFollowTheIntervalTheCoordinatorSet() {
        MembershipManager m = joined(Optional.empty(), T0);
        assertThat(m.delayMs(0)).isEqualTo(1_000);
        assertThat(m.pollHeartbeat(999)).isNull();
        GroupHeartbeatRequest hb = m.pollHeartbeat(1_000);
        assertThat(hb.getMemberEpoch()).isEqualTo(1);
        assertThat(owned(hb)).containsExactly(T0);
        m.onResponse(hb, unchanged("m1", 1, 2_000), 1_000);
        assertThat(m.hasChange()).as("an answer without an assignment changes nothing").isFalse();
        assertThat(m.pollHeartbeat(2_999)).isNull();
        assertThat(m.pollHeartbeat(3_000)).isNotNull();
    }

    @Test
    void aRevocationIsAcknowledgedAtOnceWithTheReducedOwnedSetThenTheNewEpochAddsPartitions() {
        MembershipManager m = joined(Optional.empty(), T0, T1);
        GroupHeartbeatRequest hb = m.pollHeartbeat(1_000);
        m.onResponse(hb, answer("m1", 1, 1_000, T0), 1_000); // same epoch, without T1: revoke it

        MembershipManager.Change revoke = m.takeChange();
        assertThat(revoke.target()).containsExactly(T0);
        assertThat(m.identity()).as("commits during the revocation use the current epoch")
                .contains(new MembershipManager.Identity("m1", 1));
        m.ownedNow(Set.of(T0)); // after onPartitionsRevoked
        GroupHeartbeatRequest ack = m.pollHeartbeat(1_001);
        assertThat(ack).isNotNull();
        assertThat(owned(ack)).containsExactly(T0);
        m.reconciled(revoke, Set.of(T0), 1_001);

        m.onResponse(ack, answer("m1", 2, 1_000, T0, T2), 1_002);
        MembershipManager.Change assign = m.takeChange();
        assertThat(assign.target()).containsExactly(T0, T2);
        assertThat(assign.joined()).isFalse();
        m.reconciled(assign, Set.of(T0, T2), 1_003);
        GroupHeartbeatRequest ack2 = m.pollHeartbeat(1_003);
        assertThat(ack2.getMemberEpoch()).isEqualTo(2);
        assertThat(owned(ack2)).containsExactly(T0, T2);
    }

    @Test
    void aChangeArrivingWhileTheApplicationReconcilesStaysPending() {
        MembershipManager m = joined(Optional.empty(), T0, T1);
        GroupHeartbeatRequest hb = m.pollHeartbeat(1_000);
        m.onResponse(hb, answer("m1", 1, 1_000, T0), 1_000);
        MembershipManager.Change first = m.takeChange();
        m.ownedNow(Set.of(T0));
        GroupHeartbeatRequest ack = m.pollHeartbeat(1_000);
        m.onResponse(ack, answer("m1", 2, 1_000, T0, T2), 1_001); // arrives before the application is done

        m.reconciled(first, Set.of(T0), 1_002);

        assertThat(m.hasChange()).isTrue();
        assertThat(m.takeChange().target()).containsExactly(T0, T2);
    }

    @Test
    void aFencedMemberLosesItsPartitionsAndRejoinsWithEpochZeroOnceTheyAreReleased() {
        MembershipManager m = joined(Optional.empty(), T0);
        GroupHeartbeatRequest hb = m.pollHeartbeat(1_000);
        m.onFailure(hb, new StrataException(ErrorCode.FENCED_MEMBER_EPOCH, "fenced"), 1_000);

        assertThat(m.identity()).as("no commit is possible any more").isEmpty();
        MembershipManager.Change lost = m.takeChange();
        assertThat(lost.lost()).isTrue();
        assertThat(m.pollHeartbeat(1_000)).as("no rejoin before the application released the partitions").isNull();

        m.reconciled(lost, Set.of(), 1_001);

        GroupHeartbeatRequest rejoin = m.pollHeartbeat(1_001);
        assertThat(rejoin.getMemberEpoch()).isZero();
        assertThat(rejoin.getMemberId()).isEmpty();
        assertThat(rejoin.getOwnedPartitionsList()).isEmpty();
        m.onResponse(rejoin, answer("m2", 4, 1_000, T1), 1_002);
        MembershipManager.Change again = m.takeChange();
        assertThat(again.lost()).isFalse();
        assertThat(again.joined()).isTrue();
        assertThat(again.target()).containsExactly(T1);
    }

    @Test
    void anUnknownMemberIdIsTreatedAsFenced() {
        MembershipManager m = joined(Optional.empty(), T0);
        GroupHeartbeatRequest hb = m.pollHeartbeat(1_000);
        m.onFailure(hb, new StrataException(ErrorCode.UNKNOWN_MEMBER_ID, "who?"), 1_000);
        assertThat(m.takeChange().lost()).isTrue();
        assertThat(m.state()).isEqualTo(MembershipManager.State.FENCED);
    }

    @Test
    void anAssignmentThatArrivesAfterALossIsStillApplied() {
        MembershipManager m = joined(Optional.empty(), T0);
        GroupHeartbeatRequest hb = m.pollHeartbeat(1_000);
        m.onFailure(hb, new StrataException(ErrorCode.FENCED_MEMBER_EPOCH, "fenced"), 1_000);
        MembershipManager.Change lost = m.takeChange();
        m.reconciled(lost, Set.of(), 1_000);
        GroupHeartbeatRequest rejoin = m.pollHeartbeat(1_000);
        m.onResponse(rejoin, answer("m2", 3, 1_000, T0), 1_000);
        assertThat(m.takeChange().target()).containsExactly(T0);
    }

    @Test
    void notCoordinatorIsRetriedAtOnceThenWithBackoffAndTheMemberKeepsItsPartitions() {
        MembershipManager m = joined(Optional.empty(), T0);
        GroupHeartbeatRequest hb = m.pollHeartbeat(1_000);
        m.onFailure(hb, new StrataException(ErrorCode.NOT_COORDINATOR, "standby"), 1_000);

        GroupHeartbeatRequest retry = m.pollHeartbeat(1_000);
        assertThat(retry).as("a redirect is followed at once").isNotNull();
        assertThat(retry.getMemberEpoch()).isEqualTo(1);
        assertThat(owned(retry)).containsExactly(T0);
        m.onFailure(retry, new StrataException(ErrorCode.NOT_COORDINATOR, "standby again"), 1_000);

        assertThat(m.pollHeartbeat(1_000)).as("a second refusal backs off").isNull();
        assertThat(m.delayMs(1_000)).isPositive();
        assertThat(m.hasChange()).as("the partitions are kept").isFalse();
        assertThat(m.identity()).isPresent();
    }

    @Test
    void thePartitionsAreLostWhenNoHeartbeatSucceedsWithinTheSessionTimeout() {
        MembershipManager m = joined(Optional.empty(), T0);
        long now = 1_000;
        GroupHeartbeatRequest hb = m.pollHeartbeat(now);
        m.onFailure(hb, new StrataException(ErrorCode.ERROR_CODE_UNSPECIFIED, "UNAVAILABLE", true, null, "down", null), now);
        while (now < SESSION_MS - 1) {
            now = Math.min(SESSION_MS - 1, now + m.delayMs(now));
            GroupHeartbeatRequest again = m.pollHeartbeat(now);
            if (again != null) {
                m.onFailure(again, new StrataException(ErrorCode.ERROR_CODE_UNSPECIFIED, "UNAVAILABLE", true, null,
                        "down", null), now);
            }
        }
        assertThat(m.hasChange()).as("still within the session timeout").isFalse();

        assertThat(m.pollHeartbeat(SESSION_MS)).isNull();

        assertThat(m.takeChange().lost()).isTrue();
        assertThat(m.state()).isEqualTo(MembershipManager.State.FENCED);
    }

    @Test
    void notPollingWithinMaxPollIntervalLeavesTheGroupAndTheNextPollRejoins() {
        MembershipManager m = joined(Optional.empty(), T0);
        m.pollEnded(0);
        long late = POLL_INTERVAL_MS + 1;
        GroupHeartbeatRequest leave = null;
        for (long t = 1_000; leave == null || leave.getMemberEpoch() >= 0; t += 1_000) {
            long now = Math.min(t, late);
            leave = m.pollHeartbeat(now);
            if (leave != null && leave.getMemberEpoch() >= 0) {
                m.onResponse(leave, unchanged("m1", 1, 1_000), now);
            }
        }
        assertThat(leave.getMemberEpoch()).isEqualTo(MembershipManager.LEAVE_EPOCH);
        assertThat(leave.getMemberId()).isEqualTo("m1");
        assertThat(m.identity()).isEmpty();
        m.onResponse(leave, GroupHeartbeatResponse.getDefaultInstance(), late);

        m.pollStarted(late + 10);
        MembershipManager.Change lost = m.takeChange();
        assertThat(lost.lost()).isTrue();
        m.reconciled(lost, Set.of(), late + 10);
        GroupHeartbeatRequest rejoin = m.pollHeartbeat(late + 10);
        assertThat(rejoin.getMemberEpoch()).isZero();
        assertThat(rejoin.getMemberId()).isEmpty();
    }

    @Test
    void closeLeavesWithMinusOneForADynamicMember() {
        MembershipManager m = joined(Optional.empty(), T0);
        m.leave(true, 10);
        GroupHeartbeatRequest leave = m.pollHeartbeat(10);
        assertThat(leave.getMemberEpoch()).isEqualTo(-1);
        assertThat(leave.getMemberId()).isEqualTo("m1");
        m.onResponse(leave, GroupHeartbeatResponse.getDefaultInstance(), 11);
        assertThat(m.state()).isEqualTo(MembershipManager.State.UNSUBSCRIBED);
        assertThat(m.pollHeartbeat(100_000)).isNull();
    }

    @Test
    void closeLeavesTemporarilyWithMinusTwoForAStaticMemberAndUnsubscribeWithMinusOne() {
        MembershipManager closing = joined(Optional.of("instance-7"), T0);
        closing.leave(true, 10);
        GroupHeartbeatRequest temporary = closing.pollHeartbeat(10);
        assertThat(temporary.getMemberEpoch()).isEqualTo(-2);
        assertThat(temporary.getInstanceId()).isEqualTo("instance-7");

        MembershipManager unsubscribing = joined(Optional.of("instance-8"), T0);
        unsubscribing.leave(false, 10);
        assertThat(unsubscribing.pollHeartbeat(10).getMemberEpoch()).isEqualTo(-1);
    }

    @Test
    void aLeaveBeforeTheJoinWasAnsweredWaitsForTheMemberIdThenLeaves() {
        MembershipManager m = manager(Optional.empty());
        m.subscribe(MembershipManager.Subscription.of(List.of("t")), 0);
        GroupHeartbeatRequest join = m.pollHeartbeat(0);
        m.leave(true, 1);
        m.onResponse(join, answer("m1", 1, 1_000, T0), 2);
        assertThat(m.hasChange()).as("nothing to apply while leaving").isFalse();
        GroupHeartbeatRequest leave = m.pollHeartbeat(2);
        assertThat(leave.getMemberId()).isEqualTo("m1");
        assertThat(leave.getMemberEpoch()).isEqualTo(-1);
    }

    @Test
    void aNonRetriableHeartbeatFailureIsFatalUntilTheNextSubscribe() {
        MembershipManager m = manager(Optional.of("instance-7"));
        m.subscribe(MembershipManager.Subscription.of(List.of("t")), 0);
        GroupHeartbeatRequest join = m.pollHeartbeat(0);
        m.onFailure(join, new StrataException(ErrorCode.INVALID_REQUEST, "bad"), 0);

        assertThat(m.fatal()).get().extracting(StrataException::reason).isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(m.pollHeartbeat(100_000)).isNull();

        m.subscribe(MembershipManager.Subscription.of(List.of("t")), 100_000);
        assertThat(m.fatal()).isEmpty();
        assertThat(m.pollHeartbeat(100_000).getMemberEpoch()).isZero();
    }

    /** Releases a lost change as the application does; then no heartbeat is ever due again. */
    private static void assertLostAndSilent(MembershipManager m, long nowMs) {
        MembershipManager.Change lost = m.takeChange();
        assertThat(lost.lost()).isTrue();
        m.reconciled(lost, Set.of(), nowMs);
        assertThat(m.state()).isEqualTo(MembershipManager.State.FATAL);
        assertThat(m.identity()).isEmpty();
        assertThat(m.hasChange()).isFalse();
        for (long t = nowMs; t <= nowMs + 10L * SESSION_MS; t += 500) {
            assertThat(m.pollHeartbeat(t)).as("no rejoin at %d", t).isNull();
        }
        assertThat(m.delayMs(nowMs)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void aFencedInstanceIdOnAHeartbeatLosesThePartitionsAndNeverRejoins() {
        MembershipManager m = joined(Optional.of("instance-7"), T0, T1);
        GroupHeartbeatRequest hb = m.pollHeartbeat(1_000);
        m.onFailure(hb, new StrataException(ErrorCode.FENCED_INSTANCE_ID, "replaced by m9"), 1_000);

        StrataException fatal = m.fatal().orElseThrow();
        assertThat(fatal.reason()).isEqualTo(ErrorCode.FENCED_INSTANCE_ID);
        assertThat(fatal.retriable()).isFalse();
        assertThat(fatal.getMessage()).contains("another process uses group.instance.id 'instance-7'", "replaced by m9");
        assertLostAndSilent(m, 1_001);

        m.leave(true, 2_000);
        assertThat(m.state()).as("no leave is sent for the replaced member id").isEqualTo(MembershipManager.State.UNSUBSCRIBED);
        assertThat(m.pollHeartbeat(2_000)).isNull();
    }

    @Test
    void aFencedInstanceIdOnACommitLosesThePartitionsAndNeverRejoins() {
        MembershipManager m = joined(Optional.of("instance-7"), T0);
        GroupHeartbeatRequest inFlight = m.pollHeartbeat(1_000);

        StrataException fatal = m.instanceFenced(new StrataException(ErrorCode.FENCED_INSTANCE_ID, "replaced"));

        assertThat(fatal.reason()).isEqualTo(ErrorCode.FENCED_INSTANCE_ID);
        assertThat(fatal.getMessage()).contains("instance-7");
        assertThat(m.fatal()).containsSame(fatal);
        m.onResponse(inFlight, unchanged("m1", 1, 1_000), 1_001); // answered before the other process joined
        assertLostAndSilent(m, 1_001);
    }

    @Test
    void aPollTimeoutLeaveRefusedWithFencedInstanceIdDoesNotRejoin() {
        MembershipManager m = joined(Optional.of("instance-7"), T0);
        m.pollEnded(0);
        long late = POLL_INTERVAL_MS + 1;
        GroupHeartbeatRequest leave = null;
        for (long t = 1_000; leave == null || leave.getMemberEpoch() >= 0; t += 1_000) {
            long now = Math.min(t, late);
            leave = m.pollHeartbeat(now);
            if (leave != null && leave.getMemberEpoch() >= 0) {
                m.onResponse(leave, unchanged("m1", 1, 1_000), now);
            }
        }
        assertThat(leave.getMemberEpoch()).isEqualTo(MembershipManager.LEAVE_STATIC_EPOCH);

        m.onFailure(leave, new StrataException(ErrorCode.FENCED_INSTANCE_ID, "replaced"), late);

        assertThat(m.fatal()).get().extracting(StrataException::reason).isEqualTo(ErrorCode.FENCED_INSTANCE_ID);
        m.pollStarted(late + 10);
        assertLostAndSilent(m, late + 10);
    }

    @Test
    void aRequestedHeartbeatGoesOutAtOnceAndCountsAsAResponse() {
        MembershipManager m = joined(Optional.empty(), T0);
        long seen = m.responses();
        m.requestHeartbeat();
        GroupHeartbeatRequest hb = m.pollHeartbeat(1);
        assertThat(hb).isNotNull();
        m.onResponse(hb, unchanged("m1", 2, 1_000), 2);
        assertThat(m.responses()).isGreaterThan(seen);
        assertThat(m.identity()).contains(new MembershipManager.Identity("m1", 2));
    }
}
