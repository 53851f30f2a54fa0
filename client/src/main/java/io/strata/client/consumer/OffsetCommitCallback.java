package io.strata.client.consumer;

import io.strata.client.TopicPartition;

import java.util.Map;

/**
 * Completion of {@link StrataConsumer#commitAsync}. Runs on the application's thread, inside a
 * later {@code poll}, {@code commitSync} or {@code close}, in the order the commits were made.
 */
@FunctionalInterface
public interface OffsetCommitCallback {

    /**
     * @param offsets   the offsets of the commit
     * @param exception {@code null} when they were stored; else why not (e.g. a
     *                  {@link CommitFailedException})
     */
    void onComplete(Map<TopicPartition, OffsetAndMetadata> offsets, Exception exception);
}
