package io.strata.client.admin;

/**
 * One line of {@link StrataAdmin#listTopics()}.
 *
 * @param name              the topic name
 * @param topicId           the id given at creation
 * @param partitions        the partition count
 * @param replicationFactor replicas per partition
 */
public record TopicListing(String name, String topicId, int partitions, int replicationFactor) {
}
