package io.strata.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.cli.cluster.ClusterManifest;
import io.strata.cli.cluster.ClusterStatus;
import io.strata.cli.cluster.ManagedProcess;
import io.strata.cli.cluster.ProcessStatus;
import io.strata.client.NodeInfo;
import io.strata.client.PartitionInfo;
import io.strata.client.admin.ClusterDescription;
import io.strata.client.admin.PartitionReassignment;
import io.strata.client.admin.TopicDescription;
import io.strata.client.admin.TopicListing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(10)
class FormatTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final TopicDescription ORDERS = new TopicDescription("orders", "uuid-1",
            List.of(new PartitionInfo("orders", 0, 1, List.of(1, 2), List.of(1, 2)),
                    new PartitionInfo("orders", 1, null, List.of(2, 1), List.of(), List.of(2))),
            Map.of("retention.ms", "604800000", "max.message.bytes", "1048588"),
            Map.of("retention.ms", "604800000"));

    @Test
    void describeJsonHasTheContractedShape() throws Exception {
        JsonNode root = JSON.readTree(JsonFormat.topicDescription(ORDERS));
        assertThat(root.get("name").asText()).isEqualTo("orders");
        assertThat(root.get("topicId").asText()).isEqualTo("uuid-1");
        JsonNode p0 = root.get("partitions").get(0);
        assertThat(p0.get("partition").isInt()).isTrue();
        assertThat(p0.get("partition").asInt()).isZero();
        assertThat(p0.get("leader").asInt()).isEqualTo(1);
        assertThat(p0.get("replicas").toString()).isEqualTo("[1,2]");
        assertThat(p0.get("isr").toString()).isEqualTo("[1,2]");
        JsonNode p1 = root.get("partitions").get(1);
        assertThat(p1.get("leader").isNull()).isTrue();
        assertThat(p1.get("isr").toString()).isEqualTo("[]");
        assertThat(p0.get("elr").toString()).isEqualTo("[]");
        assertThat(p1.get("elr").toString()).isEqualTo("[2]");
        assertThat(p0.size()).as("partition fields").isEqualTo(5);
        assertThat(root.get("config").get("retention.ms").asText()).isEqualTo("604800000");
        assertThat(root.get("config").get("max.message.bytes").asText()).isEqualTo("1048588");
    }

    @Test
    void listJsonHasTheContractedShape() throws Exception {
        JsonNode root = JSON.readTree(JsonFormat.topicList(List.of(new TopicListing("a", "id-a", 3, 1),
                new TopicListing("b", "id-b", 1, 2))));
        assertThat(root.size()).isEqualTo(1);
        JsonNode a = root.get("topics").get(0);
        assertThat(a.get("name").asText()).isEqualTo("a");
        assertThat(a.get("topicId").asText()).isEqualTo("id-a");
        assertThat(a.get("partitions").isInt()).isTrue();
        assertThat(a.get("partitions").asInt()).isEqualTo(3);
        assertThat(a.get("replicationFactor").asInt()).isEqualTo(1);
        assertThat(JSON.readTree(JsonFormat.topicList(List.of())).get("topics").isArray()).isTrue();
    }

    @Test
    void recordJsonIsOneLineWithNumbersAsNumbersAndNullKey() throws Exception {
        String line = JsonFormat.record("t", 2, 41, 1700000000000L, null, "héllo".getBytes(StandardCharsets.UTF_8));
        assertThat(line).doesNotContain("\n");
        JsonNode r = JSON.readTree(line);
        assertThat(r.get("topic").asText()).isEqualTo("t");
        assertThat(r.get("partition").isInt()).isTrue();
        assertThat(r.get("offset").isIntegralNumber()).isTrue();
        assertThat(r.get("offset").asLong()).isEqualTo(41);
        assertThat(r.get("timestamp").asLong()).isEqualTo(1700000000000L);
        assertThat(r.get("key").isNull()).isTrue();
        assertThat(r.get("value").asText()).isEqualTo("héllo");
        assertThat(JSON.readTree(JsonFormat.record("t", 0, 0, 0, "k".getBytes(StandardCharsets.UTF_8), null))
                .get("value").isNull()).isTrue();
    }

    @Test
    void recordJsonEscapesControlCharacters() throws Exception {
        String line = JsonFormat.record("t", 0, 0, 0, null, "a\"b\n".getBytes(StandardCharsets.UTF_8));
        assertThat(line).doesNotContain("\n");
        assertThat(JSON.readTree(line).get("value").asText()).isEqualTo("a\"b\n");
    }

    @Test
    void describeTextLooksLikeKafkaTopics() {
        String text = TextFormat.topicDescription(ORDERS);
        assertThat(text).startsWith("Topic: orders\tTopicId: uuid-1\tPartitionCount: 2\tReplicationFactor: 2\t"
                + "Configs: retention.ms=604800000\n");
        assertThat(text).contains("\tTopic: orders\tPartition: 0\tLeader: 1\tReplicas: 1,2\tIsr: 1,2\tElr: \n");
        assertThat(text).contains("\tTopic: orders\tPartition: 1\tLeader: none\tReplicas: 2,1\tIsr: \tElr: 2"
                + "\t(offline)\t(under-replicated)\n");
    }

    @Test
    void anUnderReplicatedPartitionWithALeaderIsMarkedAsSuchOnly() {
        TopicDescription d = new TopicDescription("t", "id", List.of(new PartitionInfo("t", 0, 1, List.of(1, 2, 3), List.of(1, 3))),
                Map.of(), Map.of());
        assertThat(TextFormat.partitionLines(d)).isEqualTo("\tTopic: t\tPartition: 0\tLeader: 1\tReplicas: 1,2,3\tIsr: 1,3\tElr: "
                + "\t(under-replicated)\n");
    }

    @Test
    void describeFiltersKeepOnlyPartitionsInTheAskedStates() {
        TopicDescription d = new TopicDescription("t", "id", List.of(
                new PartitionInfo("t", 0, 1, List.of(1, 2), List.of(1, 2)),
                new PartitionInfo("t", 1, 2, List.of(2, 1), List.of(2)),
                new PartitionInfo("t", 2, null, List.of(1, 2), List.of(1, 2))), Map.of(), Map.of());
        assertThat(new TopicCommand.PartitionFilter(false, false).apply(d)).isSameAs(d);
        assertThat(new TopicCommand.PartitionFilter(true, false).apply(d).partitions()).extracting(PartitionInfo::partition)
                .containsExactly(1);
        assertThat(new TopicCommand.PartitionFilter(false, true).apply(d).partitions()).extracting(PartitionInfo::partition)
                .containsExactly(2);
        assertThat(new TopicCommand.PartitionFilter(true, true).apply(d).partitions()).extracting(PartitionInfo::partition)
                .containsExactly(1, 2);
    }

    private static final TopicDescription MOVING = new TopicDescription("t", "id", List.of(
            new PartitionInfo("t", 0, 1, List.of(4, 1, 2, 3), List.of(1, 2, 3)),
            new PartitionInfo("t", 1, 2, List.of(2, 3), List.of(2, 3))), Map.of(), Map.of(), Map.of(0, List.of(4, 1, 2)));

    @Test
    void describeShowsAReassignmentInProgress() throws Exception {
        assertThat(TextFormat.partitionLines(MOVING)).isEqualTo(
                "\tTopic: t\tPartition: 0\tLeader: 1\tReplicas: 4,1,2,3\tIsr: 1,2,3\tElr: \tReassigning: target 4,1,2\t(under-replicated)\n"
                        + "\tTopic: t\tPartition: 1\tLeader: 2\tReplicas: 2,3\tIsr: 2,3\tElr: \n");
        JsonNode root = JSON.readTree(JsonFormat.topicDescription(MOVING));
        JsonNode p0 = root.get("partitions").get(0);
        assertThat(p0.get("targetReplicas").toString()).isEqualTo("[4,1,2]");
        assertThat(p0.get("replicas").toString()).isEqualTo("[4,1,2,3]");
        assertThat(p0.size()).as("the usual fields and targetReplicas").isEqualTo(6);
        assertThat(root.get("partitions").get(1).has("targetReplicas")).isFalse();
        assertThat(new TopicCommand.PartitionFilter(true, false).apply(MOVING).targetReplicas(0)).containsExactly(4, 1, 2);
    }

    @Test
    void reassignPrintsTheWrittenState() throws Exception {
        PartitionReassignment started = new PartitionReassignment(MOVING.partitions().get(0), List.of(4, 1, 2));
        assertThat(TextFormat.reassignment(started, false)).startsWith("Reassigning t-0 to replicas 4,1,2:")
                .endsWith("\tReplicas: 4,1,2,3\tIsr: 1,2,3\tElr: \tReassigning: target 4,1,2\t(under-replicated)\n");
        PartitionReassignment cancelled = new PartitionReassignment(MOVING.partitions().get(1), List.of());
        assertThat(TextFormat.reassignment(cancelled, true)).startsWith("No reassignment of t-1 in progress now; replicas 2,3.\n");
        JsonNode json = JSON.readTree(JsonFormat.reassignment(started));
        assertThat(json.get("topic").asText()).isEqualTo("t");
        assertThat(json.get("partition").asInt()).isZero();
        assertThat(json.get("leader").asInt()).isEqualTo(1);
        assertThat(json.get("targetReplicas").toString()).isEqualTo("[4,1,2]");
        assertThat(JSON.readTree(JsonFormat.reassignment(cancelled)).get("targetReplicas").toString()).isEqualTo("[]");
    }

    @Test
    void describeOfEveryTopicIsAListOfTheSameDocuments() throws Exception {
        JsonNode root = JSON.readTree(JsonFormat.topicDescriptions(List.of(ORDERS)));
        assertThat(root.get("topics").get(0)).isEqualTo(JSON.readTree(JsonFormat.topicDescription(ORDERS)));
    }

    @Test
    void listTextIsAnAlignedTable() {
        String text = TextFormat.topicList(List.of(new TopicListing("orders", "id-1", 3, 1),
                new TopicListing("a", "id-2", 12, 3)));
        assertThat(text.lines().toList()).containsExactly(
                "NAME    PARTITIONS  REPLICATION-FACTOR  TOPIC-ID",
                "orders  3           1                   id-1",
                "a       12          3                   id-2");
    }

    @Test
    void clusterFormats() throws Exception {
        ClusterDescription c = new ClusterDescription("cid", List.of(new NodeInfo(1, "h", 9092, "")), List.of());
        assertThat(TextFormat.cluster(c)).startsWith("Cluster: cid\n").contains("1     h     9092");
        assertThat(JSON.readTree(JsonFormat.cluster(c)).get("nodes").get(0).get("port").asInt()).isEqualTo(9092);
    }

    @Test
    void errorLineNamesTheReason() {
        assertThat(StrataCli.errorLine(new io.strata.client.StrataException(
                io.strata.proto.v1.ErrorCode.INVALID_TOPIC, "topic name 'a b' contains ' '")))
                .isEqualTo("Error: topic name 'a b' contains ' ' (INVALID_TOPIC)");
    }

    @Test
    void clusterStatusJsonHasAliveAndRegisteredPerProcess() throws Exception {
        var etcd = new ManagedProcess("etcd", 1, 10, Map.of("client", 1), "/d/e", "/d/l/e");
        var storage = new ManagedProcess("storage", 2, 11, Map.of("grpc", 2, "http", 3), "/d/s", "/d/l/s");
        var status = new ClusterStatus(
                new ClusterManifest("127.0.0.1:2", List.of(etcd, storage)),
                List.of(new ProcessStatus(etcd, true, true, null),
                        new ProcessStatus(storage, false, false, true)),
                Optional.empty());
        var doc = new ObjectMapper().readTree(JsonFormat.clusterStatus(status));
        assertThat(doc.get("bootstrap").asText()).isEqualTo("127.0.0.1:2");
        var e = doc.get("processes").get(0);
        assertThat(e.get("alive").asBoolean()).isTrue();
        assertThat(e.has("registered")).isFalse();
        var s = doc.get("processes").get(1);
        assertThat(s.get("role").asText()).isEqualTo("storage");
        assertThat(s.get("pid").asLong()).isEqualTo(11);
        assertThat(s.get("alive").asBoolean()).isFalse();
        assertThat(s.get("registered").asBoolean()).isTrue();
        assertThat(doc.has("metadataError")).isFalse();
        assertThat(TextFormat.clusterStatus(status)).contains("storage", "REGISTERED").contains("yes", "no");
    }
}
