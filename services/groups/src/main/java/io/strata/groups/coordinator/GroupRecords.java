package io.strata.groups.coordinator;

import io.strata.groups.assignor.TopicPartition;
import io.strata.proto.v1.GroupRecord;
import io.strata.proto.v1.MemberRecord;
import io.strata.proto.v1.TopicPartitions;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A group's durable form, {@code GroupRecord} (groups.proto): written from a {@link ConsumerGroup}
 * after every change, read back by an instance that takes over. Every field of the record and of
 * its {@code MemberRecord}s is written; timers and "last sent" bookkeeping are not (they restart).
 */
final class GroupRecords {

    private static final Logger LOG = Logger.getLogger(GroupRecords.class);

    private GroupRecords() {
    }

    static GroupRecord toRecord(ConsumerGroup group) {
        GroupRecord.Builder record = GroupRecord.newBuilder()
                .setGroupId(group.groupId())
                .setGroupEpoch(group.groupEpoch())
                .setAssignmentEpoch(group.assignmentEpoch())
                .setAssignor(group.assignor())
                .putAllPartitionCounts(group.partitionCounts());
        for (GroupMember member : group.members()) {
            MemberProfile profile = member.profile();
            record.addMembers(MemberRecord.newBuilder()
                    .setMemberId(member.memberId())
                    .setInstanceId(profile.instanceId())
                    .setClientId(profile.clientId())
                    .setClientHost(profile.clientHost())
                    .setRack(profile.rack())
                    .addAllSubscribedTopicNames(profile.subscription().topicNames())
                    .setSubscribedTopicRegex(profile.subscription().regex())
                    .setServerAssignor(profile.assignor())
                    .setRebalanceTimeoutMs(profile.rebalanceTimeoutMs())
                    .setSessionTimeoutMs(profile.sessionTimeoutMs())
                    .setMemberEpoch(member.memberEpoch())
                    .setPreviousMemberEpoch(member.previousMemberEpoch())
                    .setState(member.state().wireName())
                    .addAllAssigned(toProto(member.assigned()))
                    .addAllPendingRevocation(toProto(member.pendingRevocation()))
                    .addAllTarget(toProto(member.target()))
                    .setDeparted(member.departed()));
        }
        return record.build();
    }

    /**
     * The group {@code record} describes, its members' timers started at {@code nowMs}. A stored
     * partition that an earlier member of the record already holds is dropped from the later one
     * (this code never writes such a record; a hand-edited one must not break the invariant).
     */
    static ConsumerGroup restore(GroupRecord record, String defaultAssignor, long nowMs) {
        ConsumerGroup group = new ConsumerGroup(record.getGroupId(), defaultAssignor, record.getGroupEpoch(),
                record.getAssignmentEpoch(), record.getAssignor(), record.getPartitionCountsMap());
        Set<TopicPartition> held = new HashSet<>();
        for (MemberRecord stored : record.getMembersList()) {
            Subscription subscription = Subscription.restored(stored.getSubscribedTopicNamesList(),
                    stored.getSubscribedTopicRegex());
            MemberProfile profile = new MemberProfile(stored.getInstanceId(), stored.getClientId(),
                    stored.getClientHost(), stored.getRack(), subscription,
                    stored.getServerAssignor().isEmpty() ? defaultAssignor : stored.getServerAssignor(),
                    stored.getRebalanceTimeoutMs(), stored.getSessionTimeoutMs());
            Set<TopicPartition> assigned = claim(fromProto(stored.getAssignedList()), held, record, stored);
            Set<TopicPartition> pending = claim(fromProto(stored.getPendingRevocationList()), held, record, stored);
            MemberState state = MemberState.fromWireName(stored.getState());
            if (!pending.isEmpty()) {
                state = MemberState.UNREVOKED_PARTITIONS;
            } else if (state == MemberState.UNREVOKED_PARTITIONS) {
                state = MemberState.STABLE;
            }
            group.restoreMember(new GroupMember(stored.getMemberId(), profile, stored.getMemberEpoch(),
                    stored.getPreviousMemberEpoch(), state, assigned, pending, fromProto(stored.getTargetList()),
                    stored.getDeparted(), nowMs));
        }
        return group;
    }

    private static Set<TopicPartition> claim(Set<TopicPartition> partitions, Set<TopicPartition> held,
                                             GroupRecord record, MemberRecord member) {
        Set<TopicPartition> claimed = new HashSet<>();
        for (TopicPartition partition : partitions) {
            if (held.add(partition)) {
                claimed.add(partition);
            } else {
                LOG.warnf("stored group '%s': partition %s of member %s is held by another member; dropped",
                        record.getGroupId(), partition, member.getMemberId());
            }
        }
        return claimed;
    }

    /** Partitions grouped by topic, topics and partitions in order. */
    static List<TopicPartitions> toProto(Collection<TopicPartition> partitions) {
        List<TopicPartition> sorted = new ArrayList<>(partitions);
        sorted.sort(null);
        List<TopicPartitions> grouped = new ArrayList<>();
        TopicPartitions.Builder current = null;
        for (TopicPartition partition : sorted) {
            if (current == null || !current.getTopic().equals(partition.topic())) {
                if (current != null) {
                    grouped.add(current.build());
                }
                current = TopicPartitions.newBuilder().setTopic(partition.topic());
            }
            current.addPartitions(partition.partition());
        }
        if (current != null) {
            grouped.add(current.build());
        }
        return grouped;
    }

    static Set<TopicPartition> fromProto(List<TopicPartitions> grouped) {
        Set<TopicPartition> partitions = new HashSet<>();
        for (TopicPartitions topic : grouped) {
            for (int partition : topic.getPartitionsList()) {
                partitions.add(new TopicPartition(topic.getTopic(), partition));
            }
        }
        return partitions;
    }
}
