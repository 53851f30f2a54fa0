package io.strata.client.admin;

import io.strata.client.TopicPartition;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * A group's progress on one partition ({@link StrataAdmin#describeGroup}).
 *
 * @param partition    the partition
 * @param committed    the group's committed offset; empty when none is committed
 * @param logEndOffset the partition's log end offset
 * @param lag          records between the committed offset and the log end; -1 when either is unknown
 * @param memberId     the member that owns the partition; empty when unassigned
 */
public record GroupPartitionLag(TopicPartition partition, OptionalLong committed, long logEndOffset, long lag,
                                Optional<String> memberId) {
}
