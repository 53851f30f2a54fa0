package io.strata.groups.coordinator;

import io.strata.groups.assignor.TopicPartition;
import io.strata.proto.v1.Assignment;
import io.strata.proto.v1.GroupDescription;
import io.strata.proto.v1.GroupSummary;
import io.strata.proto.v1.MemberDescription;
import io.strata.proto.v1.OffsetCommit;
import io.strata.proto.v1.PartitionLag;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * DescribeGroup and ListGroups output. A description is built in two steps: a {@link Snapshot}
 * taken under the group's lock, then, once the log end offsets arrived (outside the lock), the
 * lag of each partition.
 *
 * <p>Lag is {@code log_end_offset - committed} when both are known; it is -1 when nothing is
 * committed (Kafka's tool shows "-" there) or the log end is unknown (the leader did not answer).
 * It is not clamped: a committed offset past the log end (a truncated log) shows as negative lag.
 */
final class GroupDescriber {

    /** One partition of the description before its log end is known. */
    record Row(TopicPartition partition, long committed, String owner) {
    }

    /** A group's description without log end offsets. */
    record Snapshot(String groupId, String state, int groupEpoch, String assignor, List<MemberDescription> members,
                    List<Row> rows) {

        Set<TopicPartition> partitions() {
            Set<TopicPartition> partitions = new TreeSet<>();
            for (Row row : rows) {
                partitions.add(row.partition());
            }
            return partitions;
        }

        GroupDescription describe(Map<TopicPartition, Long> logEnds) {
            GroupDescription.Builder description = GroupDescription.newBuilder()
                    .setGroupId(groupId)
                    .setState(state)
                    .setGroupEpoch(groupEpoch)
                    .setAssignor(assignor)
                    .addAllMembers(members);
            for (Row row : rows) {
                long logEnd = logEnds.getOrDefault(row.partition(), -1L);
                long lag = row.committed() >= 0 && logEnd >= 0 ? logEnd - row.committed() : -1;
                description.addPartitions(PartitionLag.newBuilder()
                        .setTopic(row.partition().topic())
                        .setPartition(row.partition().partition())
                        .setCommitted(row.committed())
                        .setLogEndOffset(logEnd)
                        .setLag(lag)
                        .setMember(row.owner()));
            }
            return description.build();
        }
    }

    private GroupDescriber() {
    }

    static GroupSummary summary(ConsumerGroup group) {
        return GroupSummary.newBuilder()
                .setGroupId(group.groupId())
                .setState(group.state())
                .setMembers(group.memberCount())
                .build();
    }

    /**
     * The group's members and its partitions: every partition of the topics its members subscribe
     * to, every partition a member holds, and every partition with a committed offset, by topic and partition.
     */
    static Snapshot snapshot(ConsumerGroup group, Map<String, Integer> topics) {
        List<MemberDescription> members = new ArrayList<>();
        Set<TopicPartition> partitions = new TreeSet<>(group.offsets().partitions());
        for (GroupMember member : group.members()) {
            members.add(describe(member));
            partitions.addAll(member.held());
            for (String topic : member.profile().subscription().resolve(topics)) {
                int count = topics.get(topic);
                for (int p = 0; p < count; p++) {
                    partitions.add(new TopicPartition(topic, p));
                }
            }
        }
        Map<TopicPartition, String> owners = new TreeMap<>(group.ownership().snapshot());
        List<Row> rows = new ArrayList<>(partitions.size());
        for (TopicPartition partition : partitions) {
            long committed = group.offsets().get(partition).map(OffsetCommit::getOffset).orElse(-1L);
            rows.add(new Row(partition, committed, owners.getOrDefault(partition, "")));
        }
        return new Snapshot(group.groupId(), group.state(), group.groupEpoch(), group.assignor(), members, rows);
    }

    /** A departed static member shows epoch -2 (what it left with), as Kafka's describe does. */
    private static MemberDescription describe(GroupMember member) {
        MemberProfile profile = member.profile();
        return MemberDescription.newBuilder()
                .setMemberId(member.memberId())
                .setInstanceId(profile.instanceId())
                .setClientId(profile.clientId())
                .setHost(profile.clientHost())
                .setMemberEpoch(member.departed() ? Heartbeat.LEAVE_STATIC : member.memberEpoch())
                .setAssignment(Assignment.newBuilder().addAllPartitions(GroupRecords.toProto(member.assigned())))
                .setTargetAssignment(Assignment.newBuilder().addAllPartitions(GroupRecords.toProto(member.target())))
                .addAllSubscribedTopicNames(profile.subscription().topicNames())
                .setSubscribedTopicRegex(profile.subscription().regex())
                .build();
    }
}
