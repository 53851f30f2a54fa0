package io.strata.client.admin;

import io.strata.client.TopicPartition;

import java.util.Optional;
import java.util.Set;

/**
 * One member of a group, as {@link StrataAdmin#describeGroup} reports it.
 *
 * @param memberId             the id the coordinator gave the member
 * @param instanceId           {@code group.instance.id} of a static member
 * @param clientId             the member's {@code client.id}
 * @param host                 where the member connects from
 * @param memberEpoch          the member's epoch
 * @param assignment           the partitions it owns now
 * @param targetAssignment     its share of the group's target assignment (differs from
 *                             {@code assignment} while the group reconciles)
 * @param subscribedTopics     the topics it subscribes to by name
 * @param subscribedTopicRegex the pattern it subscribes with, if any
 */
public record GroupMemberDescription(String memberId, Optional<String> instanceId, String clientId, String host,
                                     int memberEpoch, Set<TopicPartition> assignment, Set<TopicPartition> targetAssignment,
                                     Set<String> subscribedTopics, Optional<String> subscribedTopicRegex) {

    public GroupMemberDescription {
        assignment = Set.copyOf(assignment);
        targetAssignment = Set.copyOf(targetAssignment);
        subscribedTopics = Set.copyOf(subscribedTopics);
    }
}
