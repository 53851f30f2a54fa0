package io.strata.client.consumer;

import io.strata.client.TopicPartition;

import java.util.Collection;

/**
 * Told when the group moves partitions to or from this consumer ({@link StrataConsumer#subscribe}).
 * Every method runs on the application's thread, inside {@link StrataConsumer#poll},
 * {@link StrataConsumer#unsubscribe} or {@link StrataConsumer#close}, as in Kafka; the consumer may be
 * used from them (commit, seek, position). An exception thrown here is rethrown by the consumer
 * call that ran the listener, after the partitions have been moved anyway.
 *
 * <p>The group hands partitions over cooperatively: a partition is revoked from its owner (who
 * may commit its progress in {@link #onPartitionsRevoked}) before another member is given it,
 * and the members that keep their partitions keep reading them throughout.
 */
public interface ConsumerRebalanceListener {

    /**
     * The consumer is about to give up these partitions (never empty). It still owns them here:
     * {@link StrataConsumer#commitSync()} commits their positions. Once this returns, they are no
     * longer fetched and the group may give them to another member.
     */
    void onPartitionsRevoked(Collection<TopicPartition> partitions);

    /**
     * The consumer now owns these partitions (possibly none right after joining). Their positions
     * come from the committed offsets, else {@code auto.offset.reset}, unless this method seeks.
     */
    void onPartitionsAssigned(Collection<TopicPartition> partitions);

    /**
     * The consumer lost these partitions without a revocation (never empty): the group expelled
     * it (fenced, session or poll timeout) and they may already belong to another member, so
     * their positions can no longer be committed. The default calls {@link #onPartitionsRevoked}.
     */
    default void onPartitionsLost(Collection<TopicPartition> partitions) {
        onPartitionsRevoked(partitions);
    }
}
