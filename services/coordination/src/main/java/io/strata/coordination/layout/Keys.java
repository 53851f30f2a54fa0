package io.strata.coordination.layout;

import io.strata.proto.v1.NodeRole;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;

/**
 * The key layout under the store's root (mirrors {@code metadata.proto}); the one place that
 * spells keys. Every value is a protobuf message from {@code strata.v1}.
 * <pre>
 * cluster-id                          ClusterRecord
 * nodes/&lt;role&gt;/&lt;id&gt;                   NodeRecord, bound to the node's session lease
 *                                     (id = node id for storage, instance id otherwise)
 * topics/&lt;name&gt;                       TopicRecord
 * partitions/&lt;topic&gt;/&lt;n&gt;              PartitionState
 * producer-ids/next                   ProducerIdBlock
 * producer-ids/transactional/&lt;id&gt;    InitProducerIdResponse (URL-encoded transactional id)
 * elections/&lt;name&gt;/&lt;lease hex&gt;        ElectionCandidate, bound to the candidate's lease
 * quotas/default                      ClientQuota of the default entity
 * quotas/clients/&lt;client id&gt;          ClientQuota (URL-encoded client id)
 * groups/&lt;group&gt;/record               GroupRecord
 * groups/&lt;group&gt;/offsets/&lt;topic&gt;/&lt;n&gt;  OffsetCommit
 * </pre>
 * Topic, election and group names cannot hold '/' ({@code TopicNames}, {@code GroupIds}), so a
 * name's prefix (which ends in '/') never catches another name: {@code groups/g/} is not a prefix
 * of {@code groups/g2/record}.
 */
public final class Keys {

    public static final String CLUSTER_ID = "cluster-id";
    public static final String NODES = "nodes/";
    public static final String TOPICS = "topics/";
    public static final String PARTITIONS = "partitions/";
    public static final String PRODUCER_ID_NEXT = "producer-ids/next";
    public static final String TRANSACTIONAL_IDS = "producer-ids/transactional/";
    public static final String ELECTIONS = "elections/";
    public static final String QUOTAS = "quotas/";
    public static final String DEFAULT_QUOTA = QUOTAS + "default";
    public static final String CLIENT_QUOTAS = QUOTAS + "clients/";
    public static final String GROUPS = "groups/";
    private static final String GROUP_RECORD = "record";
    private static final String GROUP_OFFSETS = "offsets/";

    private Keys() {
    }

    public static String topic(String name) {
        return TOPICS + name;
    }

    /** The topic name of a key under {@link #TOPICS}. */
    public static String topicName(String topicKey) {
        return topicKey.substring(TOPICS.length());
    }

    /** The prefix of every partition of {@code topic}. */
    public static String partitionsOf(String topic) {
        return PARTITIONS + topic + "/";
    }

    public static String partition(String topic, int partition) {
        return partitionsOf(topic) + partition;
    }

    /** The topic of a key under {@link #PARTITIONS}. */
    public static String topicOfPartition(String partitionKey) {
        return partitionKey.substring(PARTITIONS.length(), partitionKey.lastIndexOf('/'));
    }

    public static String roleSegment(NodeRole role) {
        return role.name().toLowerCase(Locale.ROOT);
    }

    public static String nodesOf(NodeRole role) {
        return NODES + roleSegment(role) + "/";
    }

    public static String node(NodeRole role, String id) {
        return nodesOf(role) + id;
    }

    public static String transactionalId(String transactionalId) {
        return TRANSACTIONAL_IDS + URLEncoder.encode(transactionalId, StandardCharsets.UTF_8);
    }

    /** The quota key of a client id (URL-encoded: client ids may hold any character). */
    public static String clientQuota(String clientId) {
        return CLIENT_QUOTAS + URLEncoder.encode(clientId, StandardCharsets.UTF_8);
    }

    public static String electionPrefix(String election) {
        return ELECTIONS + election + "/";
    }

    public static String electionCandidate(String election, long leaseId) {
        return electionPrefix(election) + Long.toHexString(leaseId);
    }

    /** Every key of one group (its record and offsets); the trailing '/' keeps "g" from catching "g2". */
    public static String groupPrefix(String groupId) {
        return GROUPS + groupId + "/";
    }

    public static String groupRecord(String groupId) {
        return groupPrefix(groupId) + GROUP_RECORD;
    }

    public static String groupOffset(String groupId, String topic, int partition) {
        return groupPrefix(groupId) + GROUP_OFFSETS + topic + "/" + partition;
    }

    /**
     * What a key under {@link #GROUPS} holds, or empty for a key this layout does not define
     * (written by a newer version, or by hand).
     */
    public static Optional<GroupKey> parseGroupKey(String key) {
        if (!key.startsWith(GROUPS)) {
            return Optional.empty();
        }
        int slash = key.indexOf('/', GROUPS.length());
        if (slash <= GROUPS.length()) {
            return Optional.empty();
        }
        String groupId = key.substring(GROUPS.length(), slash);
        String rest = key.substring(slash + 1);
        if (rest.equals(GROUP_RECORD)) {
            return Optional.of(new GroupKey(groupId, true));
        }
        if (rest.startsWith(GROUP_OFFSETS) && rest.indexOf('/', GROUP_OFFSETS.length()) > GROUP_OFFSETS.length()) {
            return Optional.of(new GroupKey(groupId, false));
        }
        return Optional.empty();
    }

    /** A key of the group layout: the group's record ({@code record}) or one of its committed offsets. */
    public record GroupKey(String groupId, boolean record) {
    }
}
