package io.strata.tests;

import io.grpc.ManagedChannel;
import io.strata.proto.v1.CoordinationGrpc;
import io.strata.proto.v1.MetadataRequest;
import io.strata.proto.v1.Node;
import io.strata.proto.v1.PartitionState;
import io.strata.proto.v1.TopicMetadata;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A local cluster's metadata as coordination stores it ({@code GetMetadata}): the live storage
 * nodes and each partition's leader, leader epoch and ISR, and waits on them. Fault tests poll
 * here rather than {@code topic describe}: it is exact (describe shows no epochs) and cheap,
 * where each {@code strata} run costs a JVM start.
 */
final class CoordinationMetadata {

    private final ManagedChannel coordination;

    /** @param coordination a channel to coordination; its owner shuts it down */
    CoordinationMetadata(ManagedChannel coordination) {
        this.coordination = coordination;
    }

    /** The live storage nodes. */
    List<Node> liveStorageNodes() {
        return CoordinationGrpc.newBlockingStub(coordination).withDeadlineAfter(5, TimeUnit.SECONDS)
                .getMetadata(MetadataRequest.getDefaultInstance()).getNodesList();
    }

    /** Partition → state, as coordination stores it. */
    Map<Integer, PartitionState> states(String topic) {
        TopicMetadata t = CoordinationGrpc.newBlockingStub(coordination).withDeadlineAfter(5, TimeUnit.SECONDS)
                .getMetadata(MetadataRequest.newBuilder().addTopics(topic).build()).getTopicsList().stream()
                .filter(m -> m.getName().equals(topic)).findFirst()
                .orElseThrow(() -> new AssertionError("no metadata of topic " + topic));
        Map<Integer, PartitionState> states = new TreeMap<>();
        t.getPartitionsList().forEach(s -> states.put(s.getPartition(), s));
        return states;
    }

    /** Waits until {@code count} storage nodes are live: a topic gets its replicas on live nodes only. */
    void awaitLiveStorageNodes(int count) {
        await(count + " live storage nodes").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                .ignoreExceptions().untilAsserted(() -> assertThat(liveStorageNodes()).hasSize(count));
    }

    /**
     * Waits until the topic has {@code partitions} partitions, each with {@code replicas}
     * replicas, a leader and all of them in the ISR.
     */
    void awaitLeaderAndFullIsr(String topic, int partitions, int replicas) {
        await(topic + " has a leader and a full ISR in every partition").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(250)).ignoreExceptions().untilAsserted(() -> {
                    Map<Integer, PartitionState> states = states(topic);
                    assertThat(states).hasSize(partitions);
                    for (PartitionState s : states.values()) {
                        assertThat(s.getReplicasCount()).as(s.toString()).isEqualTo(replicas);
                        assertThat(s.getLeader()).as(s.toString()).isNotNegative();
                        assertThat(s.getIsrCount()).as(s.toString()).isEqualTo(replicas);
                    }
                });
    }

    /**
     * Waits until each of {@code partitions} has a leader other than {@code dead} with a higher
     * leader epoch than in {@code before}.
     */
    void awaitNewLeaders(String topic, Set<Integer> partitions, int dead, Map<Integer, PartitionState> before,
                         Duration within) {
        await("new leaders of partitions " + partitions + " of " + topic + " (node " + dead + " is gone)").atMost(within)
                .pollInterval(Duration.ofMillis(250)).ignoreExceptions().untilAsserted(() -> {
                    Map<Integer, PartitionState> now = states(topic);
                    for (int p : partitions) {
                        PartitionState s = now.get(p);
                        assertThat(s.getLeader()).as("leader of partition %d: %s", p, s).isNotIn(-1, dead);
                        assertThat(s.getLeaderEpoch()).as("leader epoch of partition %d: %s", p, s)
                                .isGreaterThan(before.get(p).getLeaderEpoch());
                    }
                });
    }

    /** Waits until {@code node} is in the ISR of each of {@code partitions}. */
    void awaitInIsr(String topic, int node, Set<Integer> partitions, Duration within) {
        await("node " + node + " in the ISR of partitions " + partitions + " of " + topic).atMost(within)
                .pollInterval(Duration.ofMillis(500)).ignoreExceptions().untilAsserted(() -> {
                    Map<Integer, PartitionState> now = states(topic);
                    for (int p : partitions) {
                        assertThat(now.get(p).getIsrList()).as("ISR of partition %d: %s", p, now.get(p)).contains(node);
                    }
                });
    }
}
