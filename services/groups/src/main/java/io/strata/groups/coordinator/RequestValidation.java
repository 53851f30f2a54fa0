package io.strata.groups.coordinator;

import io.strata.groups.assignor.Assignors;
import io.strata.groups.assignor.TopicPartition;
import io.strata.proto.GroupIds;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.GroupHeartbeatRequest;
import io.strata.proto.v1.OffsetCommit;
import io.strata.proto.v1.TopicPartitions;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.PatternSyntaxException;

/** The checks that need no group state; each refusal is a {@link GroupException} naming the bad field. */
final class RequestValidation {

    /** Most bytes (UTF-8) of commit metadata accepted (Kafka's offset.metadata.max.bytes default). */
    static final int MAX_METADATA_BYTES = 4096;

    private RequestValidation() {
    }

    static GroupException invalid(String message) {
        return new GroupException(ErrorCode.INVALID_REQUEST, message);
    }

    /** The group id rules of {@link GroupIds} (coordination stores a group under {@code groups/<group id>/}). */
    static void groupId(String groupId) {
        String problem = GroupIds.validate(groupId);
        if (problem != null) {
            throw invalid(problem);
        }
    }

    /** Validates and normalizes a heartbeat (a leave's other fields are ignored). */
    static Heartbeat heartbeat(GroupHeartbeatRequest request, String clientHost, GroupSettings settings) {
        groupId(request.getGroupId());
        int epoch = request.getMemberEpoch();
        if (epoch < Heartbeat.LEAVE_STATIC) {
            throw invalid("member_epoch " + epoch + " is invalid: 0 joins, -1 leaves, -2 leaves temporarily");
        }
        if (epoch != Heartbeat.JOIN && request.getMemberId().isEmpty()) {
            throw invalid("member_id is empty; only a join (member_epoch 0) may leave it empty");
        }
        String host = clientHost == null ? "" : clientHost;
        if (epoch < 0) {
            return new Heartbeat(request.getGroupId(), request.getMemberId(), epoch, request.getInstanceId(), "", "",
                    host, Optional.empty(), Optional.empty(), OptionalInt.empty(), OptionalInt.empty(), Set.of());
        }
        boolean join = epoch == Heartbeat.JOIN;
        Optional<Subscription> subscription = subscription(request, join);
        Optional<String> assignor = assignor(request.getServerAssignor(), join, settings);
        OptionalInt session = sessionTimeout(request.getSessionTimeoutMs(), join, settings);
        OptionalInt rebalance = rebalanceTimeout(request.getRebalanceTimeoutMs(), join, settings);
        return new Heartbeat(request.getGroupId(), request.getMemberId(), epoch, request.getInstanceId(),
                request.getRack(), request.getClientId(), host, subscription, assignor, rebalance, session,
                owned(request.getOwnedPartitionsList()));
    }

    private static Optional<Subscription> subscription(GroupHeartbeatRequest request, boolean join) {
        List<String> names = request.getSubscribedTopicNamesList();
        String regex = request.getSubscribedTopicRegex();
        if (!names.isEmpty() && !regex.isEmpty()) {
            throw invalid("subscribe by subscribed_topic_names or by subscribed_topic_regex, not both");
        }
        if (!regex.isEmpty()) {
            try {
                return Optional.of(Subscription.ofRegex(regex));
            } catch (PatternSyntaxException e) {
                throw invalid("subscribed_topic_regex '" + regex + "' is not a valid Java regular expression: "
                        + e.getDescription());
            }
        }
        if (!names.isEmpty()) {
            if (names.stream().anyMatch(String::isEmpty)) {
                throw invalid("subscribed_topic_names contains an empty topic name");
            }
            return Optional.of(Subscription.ofNames(names));
        }
        if (join) {
            throw invalid("a joining member must subscribe: set subscribed_topic_names or subscribed_topic_regex");
        }
        return Optional.empty();
    }

    private static Optional<String> assignor(String name, boolean join, GroupSettings settings) {
        if (name.isEmpty()) {
            return join ? Optional.of(settings.defaultAssignor()) : Optional.empty();
        }
        if (!Assignors.names().contains(name)) {
            throw invalid("unknown server_assignor '" + name + "'; valid names: " + String.join(", ", Assignors.names()));
        }
        return Optional.of(name);
    }

    private static OptionalInt sessionTimeout(int ms, boolean join, GroupSettings settings) {
        if (ms == 0) {
            return join ? OptionalInt.of(millis(settings.defaultSessionTimeout())) : OptionalInt.empty();
        }
        long min = settings.minSessionTimeout().toMillis();
        long max = settings.maxSessionTimeout().toMillis();
        if (ms < min || ms > max) {
            throw invalid("session_timeout_ms " + ms + " is outside [" + min + ", " + max + "]");
        }
        return OptionalInt.of(ms);
    }

    private static OptionalInt rebalanceTimeout(int ms, boolean join, GroupSettings settings) {
        if (ms < 0) {
            throw invalid("rebalance_timeout_ms " + ms + " is negative");
        }
        if (ms == 0) {
            return join ? OptionalInt.of(millis(settings.defaultRebalanceTimeout())) : OptionalInt.empty();
        }
        return OptionalInt.of(ms);
    }

    private static Set<TopicPartition> owned(List<TopicPartitions> owned) {
        Set<TopicPartition> partitions = new HashSet<>();
        for (TopicPartitions topic : owned) {
            if (topic.getTopic().isEmpty()) {
                throw invalid("owned_partitions names an empty topic");
            }
            for (int partition : topic.getPartitionsList()) {
                if (partition < 0) {
                    throw invalid("owned_partitions: partition " + partition + " of topic '" + topic.getTopic()
                            + "' is negative");
                }
                partitions.add(new TopicPartition(topic.getTopic(), partition));
            }
        }
        return partitions;
    }

    /**
     * The commits of a CommitOffsets request, checked entry by entry; {@code topics} (null while
     * unknown) refuses partitions of topics that do not exist.
     */
    static List<OffsetCommit> commits(List<OffsetCommit> commits, Map<String, Integer> topics) {
        Set<TopicPartition> seen = new HashSet<>();
        List<OffsetCommit> checked = new ArrayList<>(commits.size());
        for (OffsetCommit commit : commits) {
            String entry = "offset commit for '" + commit.getTopic() + "' partition " + commit.getPartition();
            if (commit.getTopic().isEmpty()) {
                throw invalid("an offset commit names no topic");
            }
            if (commit.getPartition() < 0) {
                throw invalid(entry + ": the partition is negative");
            }
            if (commit.getOffset() < 0) {
                throw invalid(entry + ": offset " + commit.getOffset() + " is negative");
            }
            if (commit.getMetadataBytes().size() > MAX_METADATA_BYTES) {
                throw invalid(entry + ": metadata is " + commit.getMetadataBytes().size()
                        + " bytes in UTF-8; the limit is " + MAX_METADATA_BYTES);
            }
            if (!seen.add(new TopicPartition(commit.getTopic(), commit.getPartition()))) {
                throw invalid(entry + ": the partition appears twice");
            }
            if (topics != null) {
                Integer count = topics.get(commit.getTopic());
                if (count == null || commit.getPartition() >= count) {
                    throw new GroupException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, entry + ": "
                            + (count == null ? "no such topic" : "the topic has " + count + " partitions"));
                }
            }
            checked.add(commit.toBuilder().clearCommitTimestampMs().build());
        }
        return checked;
    }

    static int millis(java.time.Duration duration) {
        return (int) Math.min(Integer.MAX_VALUE, duration.toMillis());
    }
}
