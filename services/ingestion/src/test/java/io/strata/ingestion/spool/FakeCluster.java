package io.strata.ingestion.spool;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.strata.client.TopicPartition;
import io.strata.client.internal.Address;
import io.strata.proto.v1.ClusterMetadata;
import io.strata.proto.v1.CoordinationGrpc;
import io.strata.proto.v1.InitProducerIdRequest;
import io.strata.proto.v1.InitProducerIdResponse;
import io.strata.proto.v1.MetadataRequest;
import io.strata.proto.v1.Node;
import io.strata.proto.v1.PartitionState;
import io.strata.proto.v1.ProduceRequest;
import io.strata.proto.v1.ProduceResponse;
import io.strata.proto.v1.StorageGrpc;
import io.strata.proto.v1.TopicMetadata;
import io.strata.records.RecordBatch;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Coordination and one storage node (id 1, leading every partition at epoch 0) on one port, as
 * far as the spool uses them: GetMetadata (with cluster config defaults), InitProducerId and
 * Produce. A test scripts Produce failures ({@link #failNextProduces}); accepted batches are
 * kept in arrival order.
 */
final class FakeCluster implements AutoCloseable {

    /** A batch the node accepted. */
    record Written(TopicPartition partition, long producerId, int baseSequence, int records) {
    }

    private final Server server;
    private final Map<String, TopicMetadata> topics = new ConcurrentHashMap<>();
    private final Map<String, String> defaultConfigs = new ConcurrentHashMap<>();
    private final ConcurrentLinkedDeque<Throwable> produceFailures = new ConcurrentLinkedDeque<>();
    private final List<Written> written = new CopyOnWriteArrayList<>();
    private final AtomicInteger produceCalls = new AtomicInteger();
    private final AtomicLong nextProducerId = new AtomicLong(1_000);
    private final AtomicLong nextOffset = new AtomicLong();

    FakeCluster() throws IOException {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new Coordination()).addService(new Storage()).build().start();
    }

    Address address() {
        return new Address("127.0.0.1", server.getPort());
    }

    /** Creates (or replaces) a topic led by node 1, with its config overrides. */
    void topic(String name, int partitions, Map<String, String> configs) {
        TopicMetadata.Builder t = TopicMetadata.newBuilder().setName(name).setTopicId(name).putAllConfigs(configs);
        for (int p = 0; p < partitions; p++) {
            t.addPartitions(PartitionState.newBuilder().setTopic(name).setPartition(p).addReplicas(1).setLeader(1)
                    .setLeaderEpoch(0).addIsr(1));
        }
        topics.put(name, t.build());
    }

    void deleteTopic(String name) {
        topics.remove(name);
    }

    void defaultConfig(String key, String value) {
        defaultConfigs.put(key, value);
    }

    /** The next Produce calls fail with these, one each, in order. */
    void failNextProduces(Throwable... failures) {
        produceFailures.addAll(List.of(failures));
    }

    List<Written> written() {
        return written;
    }

    int produceCalls() {
        return produceCalls.get();
    }

    @Override
    public void close() {
        server.shutdownNow();
    }

    private final class Coordination extends CoordinationGrpc.CoordinationImplBase {
        @Override
        public void getMetadata(MetadataRequest request, StreamObserver<ClusterMetadata> responses) {
            ClusterMetadata.Builder m = ClusterMetadata.newBuilder().setClusterId("fake")
                    .addNodes(Node.newBuilder().setNodeId(1).setHost("127.0.0.1").setPort(server.getPort()))
                    .putAllDefaultConfigs(defaultConfigs);
            for (String name : request.getTopicsList()) {
                TopicMetadata t = topics.get(name);
                if (t == null) {
                    m.addUnknownTopics(name);
                } else {
                    m.addTopics(t);
                }
            }
            responses.onNext(m.build());
            responses.onCompleted();
        }

        @Override
        public void initProducerId(InitProducerIdRequest request, StreamObserver<InitProducerIdResponse> responses) {
            responses.onNext(InitProducerIdResponse.newBuilder().setProducerId(nextProducerId.getAndIncrement()).build());
            responses.onCompleted();
        }
    }

    private final class Storage extends StorageGrpc.StorageImplBase {
        @Override
        public void produce(ProduceRequest request, StreamObserver<ProduceResponse> responses) {
            produceCalls.incrementAndGet();
            Throwable failure = produceFailures.poll();
            if (failure != null) {
                responses.onError(failure);
                return;
            }
            ByteBuffer batch = request.getBatches().asReadOnlyByteBuffer();
            int at = batch.position();
            int records = RecordBatch.recordCount(batch, at);
            written.add(new Written(new TopicPartition(request.getTopic(), request.getPartition()),
                    RecordBatch.producerId(batch, at), RecordBatch.baseSequence(batch, at), records));
            long base = nextOffset.getAndAdd(records);
            responses.onNext(ProduceResponse.newBuilder().setBaseOffset(base).setLastOffset(base + records - 1).build());
            responses.onCompleted();
        }
    }
}
