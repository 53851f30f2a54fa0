package io.strata.client.consumer;

import java.util.Optional;

/**
 * This consumer's identity in its group, as {@link StrataConsumer#groupMetadata()} reports it.
 *
 * @param groupId         the group
 * @param memberEpoch     the member epoch; 0 while not a member, -1 outside group management
 * @param memberId        the id the coordinator gave this member; empty while not a member
 * @param groupInstanceId {@code group.instance.id} of a static member
 */
public record ConsumerGroupMetadata(String groupId, int memberEpoch, String memberId, Optional<String> groupInstanceId) {
}
