package io.strata.groups.coordinator;

import io.strata.groups.assignor.TopicPartition;
import io.strata.proto.v1.GroupHeartbeatRequest;
import io.strata.proto.v1.GroupHeartbeatResponse;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * A simulated consumer: it heartbeats with what it owns and takes its assignment from the
 * responses; {@link #reconcile()} is the moment it has finished revoking and assigning.
 */
final class Client {

    final Fixture fixture;
    final String groupId;
    List<String> topics;
    String regex = "";
    String instanceId = "";
    String assignor = "";
    String rack = "";
    int sessionTimeoutMs;
    int rebalanceTimeoutMs;

    String memberId = "";
    int epoch;
    Set<TopicPartition> owned = new HashSet<>();
    Set<TopicPartition> assignment = new HashSet<>();
    GroupHeartbeatResponse last;

    Client(Fixture fixture, String groupId, List<String> topics) {
        this.fixture = fixture;
        this.groupId = groupId;
        this.topics = topics;
    }

    Client instance(String id) {
        instanceId = id;
        return this;
    }

    Client session(int ms) {
        sessionTimeoutMs = ms;
        return this;
    }

    Client rebalance(int ms) {
        rebalanceTimeoutMs = ms;
        return this;
    }

    GroupHeartbeatRequest request(int memberEpoch) {
        return GroupHeartbeatRequest.newBuilder()
                .setGroupId(groupId)
                .setMemberId(memberEpoch == 0 ? "" : memberId)
                .setMemberEpoch(memberEpoch)
                .setInstanceId(instanceId)
                .setRack(rack)
                .setSessionTimeoutMs(sessionTimeoutMs)
                .setRebalanceTimeoutMs(rebalanceTimeoutMs)
                .addAllSubscribedTopicNames(regex.isEmpty() ? topics : List.of())
                .setSubscribedTopicRegex(regex)
                .setServerAssignor(assignor)
                .addAllOwnedPartitions(GroupRecords.toProto(owned))
                .setClientId("client-" + instanceId)
                .build();
    }

    CompletableFuture<GroupHeartbeatResponse> send() {
        return fixture.coordinator.heartbeat(request(epoch), "10.0.0.7");
    }

    /** One heartbeat; the response's member id, epoch and assignment are taken. */
    GroupHeartbeatResponse heartbeat() {
        return accept(Fixture.await(send()));
    }

    GroupHeartbeatResponse accept(GroupHeartbeatResponse response) {
        last = response;
        memberId = response.getMemberId();
        epoch = response.getMemberEpoch();
        if (response.hasAssignment()) {
            assignment = GroupRecords.fromProto(response.getAssignment().getPartitionsList());
        }
        return response;
    }

    /** Finishes reconciling: owns exactly its assignment. */
    void reconcile() {
        owned = new HashSet<>(assignment);
    }

    /** A heartbeat, then reconciles at once. */
    GroupHeartbeatResponse poll() {
        GroupHeartbeatResponse response = heartbeat();
        reconcile();
        return response;
    }

    GroupHeartbeatResponse join() {
        epoch = 0;
        memberId = "";
        return poll();
    }

    GroupException heartbeatError() {
        return Fixture.error(send());
    }

    /** Leaves for good (-1) or temporarily (-2, static); forgets everything. */
    void leave(int leaveEpoch) {
        Fixture.await(fixture.coordinator.heartbeat(request(leaveEpoch), "10.0.0.7"));
        lost();
    }

    /** Gives up everything (fenced, or left): the next heartbeat joins. */
    void lost() {
        memberId = "";
        epoch = 0;
        owned = new HashSet<>();
        assignment = new HashSet<>();
    }

    boolean stable() {
        return last != null && last.getHeartbeatIntervalMs() == fixture.settings.heartbeatInterval().toMillis()
                && owned.equals(assignment);
    }

    List<TopicPartition> sortedAssignment() {
        List<TopicPartition> sorted = new ArrayList<>(assignment);
        sorted.sort(null);
        return sorted;
    }
}
