package io.strata.groups.coordinator;

import io.strata.groups.assignor.TopicPartition;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Offsets the coordinator needs from the partitions' leaders (storage ListOffsets, in the
 * service): for lag and for resetting offsets. A partition whose leader cannot be asked is left
 * out of the answer (never guessed).
 */
public interface PartitionOffsets {

    /** The log end offset of each partition. */
    CompletableFuture<Map<TopicPartition, Long>> latest(Collection<TopicPartition> partitions);

    /** The log start offset of each partition. */
    CompletableFuture<Map<TopicPartition, Long>> earliest(Collection<TopicPartition> partitions);

    /** The first offset whose timestamp is >= {@code timestampMs} (the log end offset when none is). */
    CompletableFuture<Map<TopicPartition, Long>> forTime(Collection<TopicPartition> partitions, long timestampMs);
}
