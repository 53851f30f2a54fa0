package io.strata.groups.testing;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.strata.coordination.config.CoordinationConfig;
import io.strata.coordination.grpc.CoordinationGrpcService;
import io.strata.coordination.store.EmbeddedMetadataStore;
import io.strata.groups.config.GroupsConfig;
import io.strata.groups.grpc.GroupsGrpcService;
import io.strata.groups.instance.GroupsInstance;
import io.strata.proto.StrataError;
import io.strata.proto.v1.CoordinationGrpc;
import io.strata.proto.v1.CreateTopicRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.GroupsGrpc;
import io.strata.proto.v1.ListOffsetsRequest;
import io.strata.proto.v1.ListOffsetsResponse;
import io.strata.proto.v1.LoadGroupsRequest;
import io.strata.proto.v1.NodeRole;
import io.strata.proto.v1.OffsetSpec;
import io.strata.proto.v1.RegisterNode;
import io.strata.proto.v1.StorageGrpc;
import io.strata.proto.v1.StoredGroup;
import io.strata.proto.v1.TopicDescription;
import io.strata.runtime.HostPort;
import io.strata.runtime.coordination.CoordinationChannels;
import io.strata.runtime.coordination.CoordinationSession;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * A groups role's world in one JVM, for service tests: a real coordination (embedded store,
 * in-process gRPC server), storage nodes that are only sessions plus one Storage gRPC server that
 * answers ListOffsets for every partition they lead (log end offset 100 + partition, log start
 * 0), and groups instances, each with its own gRPC server as its process would have.
 */
public final class GroupsCluster implements AutoCloseable {

    public static final Duration WAIT = Duration.ofSeconds(20);

    private final EmbeddedMetadataStore store;
    private final CoordinationGrpcService coordinationService;
    private final Server coordinationServer;
    private final ManagedChannel coordinationChannel;
    private final Server storageServer;
    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);
    private final List<CoordinationChannels> storageChannels = new ArrayList<>();
    private final List<CoordinationSession> storageSessions = new ArrayList<>();
    private final List<Instance> instances = new ArrayList<>();

    /** A groups instance with its own gRPC server. */
    public final class Instance implements AutoCloseable {
        private final Server server;
        private final CoordinationChannels channels;
        private final GroupsInstance groups;
        private final ManagedChannel channel;

        Instance(Map<String, String> config) throws Exception {
            GroupsInstance[] holder = new GroupsInstance[1];
            server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                    .addService(new GroupsGrpcService(() -> holder[0].coordinator(), () -> holder[0].activeAddress())).build().start();
            channels = coordinationChannels();
            String candidate = "127.0.0.1:" + server.getPort();
            groups = new GroupsInstance(channels, groupsConfig(config), candidate, candidate, Clock.systemUTC());
            holder[0] = groups;
            groups.start();
            channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
        }

        public GroupsInstance groups() {
            return groups;
        }

        public GroupsGrpc.GroupsBlockingStub stub() {
            return GroupsGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
        }

        /**
         * Dies as a killed process would, as far as the others can tell: its connections drop and
         * nothing is withdrawn (its GroupsInstance runs on, cut off, until the cluster closes).
         */
        public void kill() {
            channels.close();
            server.shutdownNow();
        }

        @Override
        public void close() {
            groups.close();
            channels.close();
            channel.shutdownNow();
            server.shutdownNow();
        }
    }

    public GroupsCluster(Path dir, int storageNodes) throws Exception {
        store = EmbeddedMetadataStore.builder(dir).leaseCheckInterval(Duration.ofMillis(10)).open();
        coordinationService = new CoordinationGrpcService(store, CoordinationConfig.of(Map.of()));
        coordinationServer = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(coordinationService)
                .build().start();
        coordinationChannel = NettyChannelBuilder.forAddress("127.0.0.1", coordinationServer.getPort()).usePlaintext().build();
        storageServer = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(new FakeStorage()).build().start();
        for (int id = 1; id <= storageNodes; id++) {
            CoordinationChannels channels = coordinationChannels();
            CoordinationSession session = new CoordinationSession(channels, scheduler, RegisterNode.newBuilder().setRole(NodeRole.STORAGE)
                    .setNodeId(id).setInstanceId("storage-" + id).setHost("127.0.0.1").setPort(storageServer.getPort()).setReady(true)
                    .setSessionTimeoutMs(2000).build(), "storage " + id);
            session.start();
            storageChannels.add(channels);
            storageSessions.add(session);
        }
        await().atMost(WAIT).until(() -> storageSessions.stream().allMatch(CoordinationSession::registered));
    }

    /** Log end offset 100 + partition, log start 0, for every partition asked. */
    private static final class FakeStorage extends StorageGrpc.StorageImplBase {
        @Override
        public void listOffsets(ListOffsetsRequest request, StreamObserver<ListOffsetsResponse> responses) {
            if (request.getSpec() == OffsetSpec.LATEST || request.getSpec() == OffsetSpec.EARLIEST) {
                responses.onNext(ListOffsetsResponse.newBuilder()
                        .setOffset(request.getSpec() == OffsetSpec.LATEST ? 100 + request.getPartition() : 0).build());
                responses.onCompleted();
            } else {
                responses.onError(StrataError.exception(ErrorCode.INVALID_REQUEST, "not faked"));
            }
        }
    }

    public static GroupsConfig groupsConfig(Map<String, String> values) {
        Properties p = new Properties();
        p.put("strata.session.timeout.ms", "2000");
        p.putAll(values);
        return new GroupsConfig(new SmallRyeConfigBuilder().withSources(new PropertiesConfigSource(p, "test", 100)).build());
    }

    /** Fresh channels to this cluster's coordination (the caller closes them). */
    public CoordinationChannels coordinationChannels() {
        return new CoordinationChannels(List.of(new HostPort("127.0.0.1", coordinationServer.getPort())));
    }

    public CoordinationGrpc.CoordinationBlockingStub coordination() {
        return CoordinationGrpc.newBlockingStub(coordinationChannel).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    public ScheduledExecutorService scheduler() {
        return scheduler;
    }

    public Instance instance() throws Exception {
        return instance(Map.of());
    }

    public Instance instance(Map<String, String> config) throws Exception {
        Instance i = new Instance(config);
        instances.add(i);
        return i;
    }

    public TopicDescription createTopic(String name, int partitions) {
        return coordination().createTopic(CreateTopicRequest.newBuilder().setName(name).setPartitions(partitions).setReplicationFactor(1)
                .build());
    }

    /** Every stored group, as a taking-over instance reads it. */
    public List<StoredGroup> loadGroups() {
        List<StoredGroup> groups = new ArrayList<>();
        coordination().loadGroups(LoadGroupsRequest.getDefaultInstance()).forEachRemaining(groups::add);
        return groups;
    }

    @Override
    public void close() throws Exception {
        instances.forEach(Instance::close);
        storageSessions.forEach(CoordinationSession::close);
        storageChannels.forEach(CoordinationChannels::close);
        storageServer.shutdownNow();
        coordinationChannel.shutdownNow();
        coordinationServer.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        coordinationService.close();
        store.close();
        scheduler.shutdownNow();
    }
}
