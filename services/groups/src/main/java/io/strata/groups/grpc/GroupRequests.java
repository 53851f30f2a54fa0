package io.strata.groups.grpc;

import io.strata.groups.assignor.Assignors;
import io.strata.proto.GroupIds;
import io.strata.proto.StrataError;
import io.strata.proto.TopicNames;
import io.strata.proto.v1.CommitOffsetsRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.FetchOffsetsRequest;
import io.strata.proto.v1.GroupHeartbeatRequest;
import io.strata.proto.v1.OffsetCommit;
import io.strata.proto.v1.ResetOffsetsRequest;
import io.strata.proto.v1.TopicPartition;
import io.strata.proto.v1.TopicPartitions;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The shape of each Groups request, checked before anything else (INVALID_REQUEST naming the
 * field): what can be judged without the group's state. Limits that depend on configuration
 * (session timeout range, group size) and on state (member, epochs) are the coordinator's. Pure.
 */
final class GroupRequests {

    /** Longest group.instance.id (as client ids elsewhere in Strata). */
    static final int MAX_ID_LENGTH = 255;
    /** Most bytes (UTF-8) of commit metadata (Kafka's offset.metadata.max.bytes). */
    static final int MAX_METADATA_BYTES = 4096;

    private GroupRequests() {
    }

    /** A group id by {@link GroupIds}, the rule coordination stores by. */
    static void checkGroupId(String groupId) {
        String error = GroupIds.validate(groupId);
        if (error != null) {
            throw invalid("group_id: " + error);
        }
    }

    static void checkHeartbeat(GroupHeartbeatRequest r) {
        checkGroupId(r.getGroupId());
        int epoch = r.getMemberEpoch();
        if (epoch < -2) {
            throw invalid("member_epoch must be >= -2 (0 joins, -1 leaves, -2 leaves a static member temporarily), got " + epoch);
        }
        if (epoch != 0 && r.getMemberId().isEmpty()) {
            throw invalid("member_id must be set unless member_epoch is 0 (join), got member_epoch " + epoch);
        }
        if (!r.getInstanceId().isEmpty()) {
            checkId("instance_id", r.getInstanceId());
        } else if (epoch == -2) {
            throw invalid("member_epoch -2 (a temporary leave) is for static members: instance_id must be set");
        }
        if (r.getRebalanceTimeoutMs() < 0) {
            throw invalid("rebalance_timeout_ms must be >= 0 (0 = the default), got " + r.getRebalanceTimeoutMs());
        }
        if (r.getSessionTimeoutMs() < 0) {
            throw invalid("session_timeout_ms must be >= 0 (0 = the default), got " + r.getSessionTimeoutMs());
        }
        if (r.getSubscribedTopicNamesCount() > 0 && !r.getSubscribedTopicRegex().isEmpty()) {
            throw invalid("subscribe by subscribed_topic_names or by subscribed_topic_regex, not both");
        }
        // Subscribed names are only checked for emptiness: a name no topic can have is simply never matched (as in Kafka).
        if (r.getSubscribedTopicNamesList().stream().anyMatch(String::isEmpty)) {
            throw invalid("subscribed_topic_names contains an empty topic name");
        }
        if (!r.getSubscribedTopicRegex().isEmpty()) {
            try {
                Pattern.compile(r.getSubscribedTopicRegex());
            } catch (PatternSyntaxException e) {
                throw invalid("subscribed_topic_regex is not a Java regular expression: " + e.getDescription());
            }
        }
        checkTopicPartitions("owned_partitions", r.getOwnedPartitionsList());
        if (!r.getServerAssignor().isEmpty()) {
            try {
                Assignors.byName(r.getServerAssignor());
            } catch (IllegalArgumentException e) {
                throw invalid("server_assignor: " + e.getMessage());
            }
        }
    }

    static void checkCommit(CommitOffsetsRequest r) {
        checkGroupId(r.getGroupId());
        if (r.getMemberId().isEmpty() && r.getMemberEpoch() != -1) {
            throw invalid("a commit without member_id (outside group management) must carry member_epoch -1, got "
                    + r.getMemberEpoch());
        }
        Set<TopicPartition> seen = new HashSet<>();
        for (OffsetCommit o : r.getOffsetsList()) {
            checkTopic("offsets", o.getTopic());
            checkPartition("offsets", o.getTopic(), o.getPartition());
            if (!seen.add(TopicPartition.newBuilder().setTopic(o.getTopic()).setPartition(o.getPartition()).build())) {
                throw invalid("offsets: " + o.getTopic() + "-" + o.getPartition() + " appears twice");
            }
            if (o.getOffset() < 0) {
                throw invalid("offsets: the offset of " + o.getTopic() + "-" + o.getPartition() + " must be >= 0, got " + o.getOffset());
            }
            if (o.getMetadataBytes().size() > MAX_METADATA_BYTES) {
                throw invalid("offsets: the metadata of " + o.getTopic() + "-" + o.getPartition() + " is "
                        + o.getMetadataBytes().size() + " bytes in UTF-8; the limit is " + MAX_METADATA_BYTES);
            }
            if (o.getLeaderEpoch() < -1) {
                throw invalid("offsets: the leader_epoch of " + o.getTopic() + "-" + o.getPartition() + " must be >= -1, got "
                        + o.getLeaderEpoch());
            }
        }
    }

    static void checkFetch(FetchOffsetsRequest r) {
        checkGroupId(r.getGroupId());
        for (TopicPartition tp : r.getPartitionsList()) {
            checkTopic("partitions", tp.getTopic());
            checkPartition("partitions", tp.getTopic(), tp.getPartition());
        }
    }

    static void checkReset(ResetOffsetsRequest r) {
        checkGroupId(r.getGroupId());
        checkTopic("topic", r.getTopic());
        switch (r.getToCase()) {
            case TO_EARLIEST -> {
                if (!r.getToEarliest()) {
                    throw invalid("to_earliest must be true when set");
                }
            }
            case TO_LATEST -> {
                if (!r.getToLatest()) {
                    throw invalid("to_latest must be true when set");
                }
            }
            case TO_OFFSET -> {
                if (r.getToOffset() < 0) {
                    throw invalid("to_offset must be >= 0, got " + r.getToOffset());
                }
            }
            case TO_TIME_MS -> {
                if (r.getToTimeMs() < 0) {
                    throw invalid("to_time_ms must be >= 0, got " + r.getToTimeMs());
                }
            }
            case TO_NOT_SET -> throw invalid("one of to_earliest, to_latest, to_offset, to_time_ms must be set");
        }
    }

    private static void checkTopicPartitions(String field, List<TopicPartitions> list) {
        Set<String> topics = new HashSet<>();
        for (TopicPartitions tps : list) {
            checkTopic(field, tps.getTopic());
            if (!topics.add(tps.getTopic())) {
                throw invalid(field + ": topic '" + tps.getTopic() + "' appears twice");
            }
            Set<Integer> partitions = new HashSet<>();
            for (int p : tps.getPartitionsList()) {
                checkPartition(field, tps.getTopic(), p);
                if (!partitions.add(p)) {
                    throw invalid(field + ": " + tps.getTopic() + "-" + p + " appears twice");
                }
            }
        }
    }

    private static void checkId(String field, String id) {
        if (id.isEmpty()) {
            throw invalid(field + " must not be empty");
        }
        if (id.length() > MAX_ID_LENGTH) {
            throw invalid(field + " is longer than " + MAX_ID_LENGTH + " characters");
        }
        if (id.chars().anyMatch(Character::isISOControl)) {
            throw invalid(field + " must not contain control characters");
        }
    }

    private static void checkTopic(String field, String topic) {
        String error = TopicNames.validate(topic);
        if (error != null) {
            throw invalid(field + ": " + error);
        }
    }

    private static void checkPartition(String field, String topic, int partition) {
        if (partition < 0) {
            throw invalid(field + ": partition must be >= 0, got " + partition + " for topic " + topic);
        }
    }

    private static RuntimeException invalid(String message) {
        return StrataError.exception(ErrorCode.INVALID_REQUEST, message);
    }
}
