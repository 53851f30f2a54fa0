package io.strata.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strata.cli.cluster.ClusterStatus;
import io.strata.cli.cluster.ManagedProcess;
import io.strata.cli.cluster.ProcessStatus;
import io.strata.client.NodeInfo;
import io.strata.client.PartitionInfo;
import io.strata.client.admin.ClientQuota;
import io.strata.client.TopicPartition;
import io.strata.client.admin.ClusterDescription;
import io.strata.client.admin.GroupDescription;
import io.strata.client.admin.GroupListing;
import io.strata.client.admin.GroupMemberDescription;
import io.strata.client.admin.GroupPartitionLag;
import io.strata.client.admin.PartitionReassignment;
import io.strata.client.admin.TopicDescription;
import io.strata.client.admin.TopicListing;

import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * The JSON documents the CLI prints with {@code --output json}. Pure functions of client values,
 * so their shapes are tested without a server. Field names are part of the CLI's contract.
 */
final class JsonFormat {

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectMapper COMPACT = new ObjectMapper();

    private JsonFormat() {
    }

    /**
     * {@code {"name", "topicId", "partitions": [{"partition", "leader" (null when offline),
     * "replicas", "isr", "elr", "targetReplicas" (only while the partition is being reassigned)}],
     * "config": {effective config}, "overrides": {..}}}.
     */
    static String topicDescription(TopicDescription d) {
        return write(MAPPER, topicNode(d));
    }

    /** {@code {"topics": [one {@link #topicDescription} object per topic]}}: {@code topic describe} without a name. */
    static String topicDescriptions(List<TopicDescription> topics) {
        ObjectNode root = MAPPER.createObjectNode();
        ArrayNode array = root.putArray("topics");
        topics.forEach(d -> array.add(topicNode(d)));
        return write(MAPPER, root);
    }

    private static ObjectNode topicNode(TopicDescription d) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("name", d.name());
        root.put("topicId", d.topicId());
        ArrayNode partitions = root.putArray("partitions");
        for (PartitionInfo p : d.partitions()) {
            ObjectNode node = partitions.addObject();
            partitionFields(node, p);
            List<Integer> target = d.targetReplicas(p.partition());
            if (!target.isEmpty()) {
                ints(node.putArray("targetReplicas"), target);
            }
        }
        strings(root.putObject("config"), d.config());
        strings(root.putObject("overrides"), d.overrides());
        return root;
    }

    private static void partitionFields(ObjectNode node, PartitionInfo p) {
        node.put("partition", p.partition());
        if (p.leader() == null) {
            node.putNull("leader");
        } else {
            node.put("leader", p.leader());
        }
        ints(node.putArray("replicas"), p.replicas());
        ints(node.putArray("isr"), p.isr());
        ints(node.putArray("elr"), p.elr());
    }

    /**
     * What {@code topic reassign} wrote: {@code {"topic", "partition", "leader", "replicas",
     * "isr", "elr", "targetReplicas" ([] when no reassignment is in progress)}}.
     */
    static String reassignment(PartitionReassignment r) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("topic", r.partition().topic());
        partitionFields(node, r.partition());
        ints(node.putArray("targetReplicas"), r.targetReplicas());
        return write(MAPPER, node);
    }

    /** {@code {"topics": [{"name", "topicId", "partitions", "replicationFactor"}]}}. */
    static String topicList(List<TopicListing> topics) {
        ObjectNode root = MAPPER.createObjectNode();
        ArrayNode array = root.putArray("topics");
        for (TopicListing t : topics) {
            ObjectNode node = array.addObject();
            node.put("name", t.name());
            node.put("topicId", t.topicId());
            node.put("partitions", t.partitions());
            node.put("replicationFactor", t.replicationFactor());
        }
        return write(MAPPER, root);
    }

    /**
     * {@code {"quotas": [{"client_id" (null for the default entity), "default", "producer_byte_rate",
     * "consumer_byte_rate"}]}}; a rate is null when not set. Named as Kafka's quota configs.
     */
    static String quotaList(List<ClientQuota> quotas) {
        ObjectNode root = MAPPER.createObjectNode();
        ArrayNode array = root.putArray("quotas");
        for (ClientQuota q : quotas) {
            ObjectNode node = array.addObject();
            if (q.isDefault()) {
                node.putNull("client_id");
            } else {
                node.put("client_id", q.clientId().get());
            }
            node.put("default", q.isDefault());
            rate(node, "producer_byte_rate", q.producerByteRate());
            rate(node, "consumer_byte_rate", q.consumerByteRate());
        }
        return write(MAPPER, root);
    }

    private static void rate(ObjectNode node, String field, OptionalLong rate) {
        if (rate.isPresent()) {
            node.put(field, rate.getAsLong());
        } else {
            node.putNull(field);
        }
    }

    /** {@code {"groups": [{"groupId", "state", "members"}]}}. */
    static String groupList(List<GroupListing> groups) {
        ObjectNode root = MAPPER.createObjectNode();
        ArrayNode array = root.putArray("groups");
        for (GroupListing g : groups) {
            ObjectNode node = array.addObject();
            node.put("groupId", g.groupId());
            node.put("state", g.state());
            node.put("members", g.members());
        }
        return write(MAPPER, root);
    }

    /**
     * {@code {"groupId", "state", "groupEpoch", "assignor", "totalLag", "members": [{"memberId", "instanceId" (null for a
     * dynamic member), "clientId", "host", "memberEpoch", "assignment": [{"topic", "partition"}], "targetAssignment"}],
     * "partitions": [{"topic", "partition", "committed" (null when none), "logEndOffset" (null when unknown), "lag"
     * (null when either is unknown), "member" (null when unassigned)}]}}.
     */
    static String groupDescription(GroupDescription d) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("groupId", d.groupId());
        root.put("state", d.state());
        root.put("groupEpoch", d.groupEpoch());
        root.put("assignor", d.assignor());
        root.put("totalLag", d.totalLag());
        ArrayNode members = root.putArray("members");
        for (GroupMemberDescription m : d.members()) {
            ObjectNode node = members.addObject();
            node.put("memberId", m.memberId());
            node.put("instanceId", m.instanceId().orElse(null));
            node.put("clientId", m.clientId());
            node.put("host", m.host());
            node.put("memberEpoch", m.memberEpoch());
            partitions(node.putArray("assignment"), m.assignment());
            partitions(node.putArray("targetAssignment"), m.targetAssignment());
        }
        ArrayNode partitions = root.putArray("partitions");
        for (GroupPartitionLag p : d.partitions()) {
            ObjectNode node = partitions.addObject();
            node.put("topic", p.partition().topic());
            node.put("partition", p.partition().partition());
            if (p.committed().isPresent()) {
                node.put("committed", p.committed().getAsLong());
            } else {
                node.putNull("committed");
            }
            nonNegativeOrNull(node, "logEndOffset", p.logEndOffset());
            nonNegativeOrNull(node, "lag", p.lag());
            node.put("member", p.memberId().orElse(null));
        }
        return write(MAPPER, root);
    }

    /** {@code {"groupId", "executed", "offsets": [{"topic", "partition", "offset"}]}}: a reset's plan, or what it applied. */
    static String offsetReset(String groupId, boolean executed, Map<TopicPartition, Long> offsets) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("groupId", groupId);
        root.put("executed", executed);
        ArrayNode array = root.putArray("offsets");
        offsets.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            ObjectNode node = array.addObject();
            node.put("topic", e.getKey().topic());
            node.put("partition", e.getKey().partition());
            node.put("offset", e.getValue());
        });
        return write(MAPPER, root);
    }

    /** Unknown values (-1 on the wire) print as null. */
    private static void nonNegativeOrNull(ObjectNode node, String field, long value) {
        if (value >= 0) {
            node.put(field, value);
        } else {
            node.putNull(field);
        }
    }

    private static void partitions(ArrayNode array, Collection<TopicPartition> partitions) {
        partitions.stream().sorted().forEach(tp -> {
            ObjectNode node = array.addObject();
            node.put("topic", tp.topic());
            node.put("partition", tp.partition());
        });
    }

    /** {@code {"clusterId", "nodes": [{"id", "host", "port", "rack"}]}}. */
    static String cluster(ClusterDescription c) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("clusterId", c.clusterId());
        ArrayNode nodes = root.putArray("nodes");
        for (NodeInfo n : c.nodes()) {
            ObjectNode node = nodes.addObject();
            node.put("id", n.id());
            node.put("host", n.host());
            node.put("port", n.port());
            node.put("rack", n.rack());
        }
        ArrayNode ingestion = root.putArray("ingestionEndpoints");
        c.ingestionEndpoints().forEach(ingestion::add);
        return write(MAPPER, root);
    }

    /**
     * {@code {"bootstrap", "processes": [{"role", "id", "pid", "alive", "ready", "registered" (roles that register: storage, ingestion),
     * "ports", "dataDir", "log"}], "metadataError" (only when coordination could not be asked)}}.
     */
    static String clusterStatus(ClusterStatus status) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("bootstrap", status.manifest().bootstrap());
        ArrayNode processes = root.putArray("processes");
        for (ProcessStatus s : status.processes()) {
            ManagedProcess p = s.process();
            ObjectNode node = processes.addObject();
            node.put("role", p.role());
            node.put("id", p.id());
            node.put("pid", p.pid());
            node.put("alive", s.alive());
            node.put("ready", s.ready());
            if (s.registered() != null) {
                node.put("registered", s.registered());
            }
            ObjectNode ports = node.putObject("ports");
            p.ports().forEach(ports::put);
            node.put("dataDir", p.dataDir());
            node.put("log", p.log());
        }
        status.metadataError().ifPresent(e -> root.put("metadataError", e));
        return write(MAPPER, root);
    }

    /**
     * One consumed record on one line: {@code {"topic", "partition", "offset", "timestamp", "key",
     * "value"}}; key and value as UTF-8 text, {@code null} when absent.
     */
    static String record(String topic, int partition, long offset, long timestamp, byte[] key, byte[] value) {
        ObjectNode node = COMPACT.createObjectNode();
        node.put("topic", topic);
        node.put("partition", partition);
        node.put("offset", offset);
        node.put("timestamp", timestamp);
        text(node, "key", key);
        text(node, "value", value);
        return write(COMPACT, node);
    }

    /**
     * One acknowledged record of {@code produce --output json} on one line:
     * {@code {"partition", "offset", "key", "value"}}; key and value as UTF-8 text, {@code null} when absent.
     */
    static String acknowledged(int partition, long offset, byte[] key, byte[] value) {
        ObjectNode node = COMPACT.createObjectNode();
        node.put("partition", partition);
        node.put("offset", offset);
        text(node, "key", key);
        text(node, "value", value);
        return write(COMPACT, node);
    }

    private static void text(ObjectNode node, String field, byte[] bytes) {
        if (bytes == null) {
            node.putNull(field);
        } else {
            node.put(field, new String(bytes, StandardCharsets.UTF_8));
        }
    }

    private static void ints(ArrayNode array, List<Integer> values) {
        values.forEach(array::add);
    }

    private static void strings(ObjectNode node, Map<String, String> values) {
        new TreeMap<>(values).forEach(node::put);
    }

    private static String write(ObjectMapper mapper, ObjectNode node) {
        try {
            return mapper.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
