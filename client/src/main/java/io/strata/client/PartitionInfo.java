package io.strata.client;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The state of one partition as coordination reports it.
 *
 * @param topic     the topic's name
 * @param partition the partition number, 0-based
 * @param leader    the node id of the leader, or {@code null} while the partition is offline
 * @param replicas  the ordered replica list (node ids); the first is the preferred leader
 * @param isr       the in-sync replicas (node ids)
 * @param elr       the eligible leader replicas (Kafka's KIP-966): replicas that left the ISR while
 *                  it was below {@code min.insync.replicas}, so they hold every committed record
 */
public record PartitionInfo(String topic, int partition, Integer leader, List<Integer> replicas, List<Integer> isr,
                            List<Integer> elr) {

    public PartitionInfo {
        Objects.requireNonNull(topic, "topic");
        replicas = List.copyOf(replicas);
        isr = List.copyOf(isr);
        elr = List.copyOf(elr);
    }

    /** A partition with no eligible leader replicas. */
    public PartitionInfo(String topic, int partition, Integer leader, List<Integer> replicas, List<Integer> isr) {
        this(topic, partition, leader, replicas, isr, List.of());
    }

    /** No leader: the partition can be neither written nor read (Kafka's "unavailable"). */
    public boolean offline() {
        return leader == null;
    }

    /** Fewer in-sync replicas than replicas (Kafka's "under-replicated"). */
    public boolean underReplicated() {
        return isr.size() < replicas.size();
    }

    /** The leader's node id, empty while the partition is offline. */
    public Optional<Integer> leaderId() {
        return Optional.ofNullable(leader);
    }

    /** This partition's {@link TopicPartition}. */
    public TopicPartition topicPartition() {
        return new TopicPartition(topic, partition);
    }
}
