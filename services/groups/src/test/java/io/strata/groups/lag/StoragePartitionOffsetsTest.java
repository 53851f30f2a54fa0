package io.strata.groups.lag;

import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.strata.groups.assignor.TopicPartition;
import io.strata.proto.StrataError;
import io.strata.proto.v1.ClusterMetadata;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.ListOffsetsRequest;
import io.strata.proto.v1.ListOffsetsResponse;
import io.strata.proto.v1.Node;
import io.strata.proto.v1.PartitionState;
import io.strata.proto.v1.StorageGrpc;
import io.strata.proto.v1.TopicMetadata;
import io.strata.runtime.HostPort;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** ListOffsets goes to each partition's leader as the metadata names it; what cannot be asked is left out. */
@Timeout(60)
class StoragePartitionOffsetsTest {

    private final List<Server> servers = new ArrayList<>();

    /** A storage node that knows some partitions: log start 10 + partition, log end 100 + partition, time lookups at 50. */
    private static final class FakeLeader extends StorageGrpc.StorageImplBase {
        final Set<TopicPartition> leads;
        final Map<TopicPartition, Integer> asked = new ConcurrentHashMap<>();

        FakeLeader(Set<TopicPartition> leads) {
            this.leads = leads;
        }

        @Override
        public void listOffsets(ListOffsetsRequest request, StreamObserver<ListOffsetsResponse> responses) {
            TopicPartition tp = new TopicPartition(request.getTopic(), request.getPartition());
            asked.merge(tp, 1, Integer::sum);
            if (!leads.contains(tp)) {
                responses.onError(StrataError.exception(ErrorCode.NOT_LEADER, "not the leader of " + tp));
                return;
            }
            long offset = switch (request.getSpec()) {
                case EARLIEST -> 10 + tp.partition();
                case LATEST -> 100 + tp.partition();
                case TIMESTAMP -> request.getTimestampMs() == 1234 ? 50 : -2;
                default -> throw Status.INVALID_ARGUMENT.asRuntimeException();
            };
            responses.onNext(ListOffsetsResponse.newBuilder().setOffset(offset).build());
            responses.onCompleted();
        }
    }

    private int serve(FakeLeader leader) throws Exception {
        Server s = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(leader).build().start();
        servers.add(s);
        return s.getPort();
    }

    @AfterEach
    void stop() {
        servers.forEach(Server::shutdownNow);
    }

    private static PartitionState partition(int number, int leader) {
        return PartitionState.newBuilder().setTopic("orders").setPartition(number).setLeader(leader).addReplicas(Math.max(leader, 0)).build();
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void asksEachLeaderAndLeavesOutWhatItCannotAsk() throws Exception {
        TopicPartition p0 = new TopicPartition("orders", 0);
        TopicPartition p1 = new TopicPartition("orders", 1);
        TopicPartition p2 = new TopicPartition("orders", 2);
        TopicPartition p3 = new TopicPartition("orders", 3);
        TopicPartition p4 = new TopicPartition("orders", 4);
        TopicPartition p5 = new TopicPartition("orders", 5);
        FakeLeader one = new FakeLeader(Set.of(p0, p1));
        FakeLeader two = new FakeLeader(Set.of(p2));
        int portOne = serve(one);
        int portTwo = serve(two);
        int dead = freePort();
        ClusterMetadata snapshot = ClusterMetadata.newBuilder()
                .addNodes(Node.newBuilder().setNodeId(1).setHost("127.0.0.1").setPort(portOne))
                .addNodes(Node.newBuilder().setNodeId(2).setHost("127.0.0.1").setPort(portTwo))
                .addNodes(Node.newBuilder().setNodeId(3).setHost("127.0.0.1").setPort(dead))
                .addTopics(TopicMetadata.newBuilder().setName("orders")
                        .addPartitions(partition(0, 1)).addPartitions(partition(1, 1)).addPartitions(partition(2, 2))
                        .addPartitions(partition(3, 3))     // leader's node unreachable
                        .addPartitions(partition(4, -1))    // offline
                        .addPartitions(partition(5, 2)))    // metadata says 2, but node 2 no longer leads it
                .build();
        AtomicReference<Optional<ClusterMetadata>> metadata = new AtomicReference<>(Optional.of(snapshot));
        try (StoragePartitionOffsets offsets = new StoragePartitionOffsets(metadata::get)) {
            List<TopicPartition> all = List.of(p0, p1, p2, p3, p4, p5, new TopicPartition("unknown", 0));

            assertThat(offsets.latest(all).join()).isEqualTo(Map.of(p0, 100L, p1, 101L, p2, 102L));
            assertThat(offsets.earliest(all).join()).isEqualTo(Map.of(p0, 10L, p1, 11L, p2, 12L));
            assertThat(offsets.forTime(List.of(p0, p2), 1234).join()).isEqualTo(Map.of(p0, 50L, p2, 50L));
            assertThat(one.asked.keySet()).containsExactlyInAnyOrder(p0, p1);
            assertThat(two.asked.keySet()).containsExactlyInAnyOrder(p2, p5);
            assertThat(offsets.channelAddresses()).contains(new HostPort("127.0.0.1", portOne), new HostPort("127.0.0.1", portTwo));

            // Node 1 leaves the cluster: its channel is closed, its partitions left out.
            metadata.set(Optional.of(snapshot.toBuilder().removeNodes(0).build()));
            assertThat(offsets.latest(all).join()).isEqualTo(Map.of(p2, 102L));
            assertThat(offsets.channelAddresses()).doesNotContain(new HostPort("127.0.0.1", portOne));

            // No snapshot (a standby): nothing is asked.
            metadata.set(Optional.empty());
            assertThat(offsets.latest(all).join()).isEmpty();
        }
    }

    @Test
    void manyPartitionsOfOneLeaderAreAllAnswered() throws Exception {
        List<TopicPartition> partitions = new ArrayList<>();
        TopicMetadata.Builder topic = TopicMetadata.newBuilder().setName("orders");
        for (int p = 0; p < 500; p++) {
            partitions.add(new TopicPartition("orders", p));
            topic.addPartitions(partition(p, 1));
        }
        FakeLeader leader = new FakeLeader(Set.copyOf(partitions));
        int port = serve(leader);
        ClusterMetadata snapshot = ClusterMetadata.newBuilder().addNodes(Node.newBuilder().setNodeId(1).setHost("127.0.0.1").setPort(port))
                .addTopics(topic).build();
        try (StoragePartitionOffsets offsets = new StoragePartitionOffsets(() -> Optional.of(snapshot))) {
            Map<TopicPartition, Long> answer = offsets.latest(partitions).join();
            assertThat(answer).hasSize(500).containsEntry(new TopicPartition("orders", 499), 599L);
            assertThat(leader.asked.values()).allMatch(n -> n == 1);
        }
    }
}
