package io.strata.client.admin;

import java.util.List;

/**
 * A consumer group as {@link StrataAdmin#describeGroup} reports it.
 *
 * @param groupId    the group
 * @param state      {@code stable}, {@code reconciling}, {@code assigning}, {@code empty} or {@code dead}
 * @param groupEpoch grows with every change of membership, subscriptions or partition counts
 * @param assignor   the server-side assignor ({@code uniform} or {@code range})
 * @param members    the members, in the coordinator's order
 * @param partitions committed offset, log end and lag per partition, by topic and partition
 */
public record GroupDescription(String groupId, String state, int groupEpoch, String assignor,
                               List<GroupMemberDescription> members, List<GroupPartitionLag> partitions) {

    public GroupDescription {
        members = List.copyOf(members);
        partitions = List.copyOf(partitions);
    }

    /**
     * The total lag over the partitions whose lag is known (a committed offset and a log end
     * offset); partitions without one (lag -1) are left out, as kafka_exporter's lag_sum does.
     */
    public long totalLag() {
        return partitions.stream().mapToLong(GroupPartitionLag::lag).filter(lag -> lag >= 0).sum();
    }
}
