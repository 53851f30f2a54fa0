package io.strata.coordination.grpc;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.strata.coordination.config.CoordinationConfig;
import io.strata.coordination.store.EmbeddedMetadataStore;
import io.strata.coordination.store.MetadataStore;
import io.strata.runtime.testing.MutableClock;
import io.strata.proto.StrataError;
import io.strata.proto.v1.CoordinationGrpc;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.NodeRole;
import io.strata.proto.v1.RegisterNode;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A real Coordination gRPC server on a free loopback port, over an embedded store with a
 * clock the test moves (or over a store the test gives, e.g. etcd, whose leases run on real
 * time; the clock then only stamps records), and a channel to it.
 */
final class CoordinationTestServer implements AutoCloseable {

    final MutableClock clock = new MutableClock();
    final WatchCountingStore store;
    final CoordinationGrpcService service;
    private final Path dir;
    private final Server server;
    private final ManagedChannel channel;

    CoordinationTestServer(Path dir) throws IOException {
        this(dir, Map.of());
    }

    CoordinationTestServer(Path dir, Map<String, String> config) throws IOException {
        this(dir, null, config);
    }

    /** A server over {@code store}, which it closes when it closes. */
    CoordinationTestServer(MetadataStore store, Map<String, String> config) throws IOException {
        this(null, store, config);
    }

    private CoordinationTestServer(Path dir, MetadataStore given, Map<String, String> config) throws IOException {
        this.dir = dir;
        this.store = new WatchCountingStore(given != null ? given : EmbeddedMetadataStore.builder(dir).clock(clock)
                .leaseCheckInterval(Duration.ofMillis(10)).open());
        this.service = new CoordinationGrpcService(store, CoordinationConfig.of(config), clock);
        this.server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(service).build().start();
        this.channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
    }

    Path dir() {
        return dir;
    }

    CoordinationGrpc.CoordinationBlockingStub blocking() {
        return CoordinationGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    CoordinationGrpc.CoordinationStub async() {
        return CoordinationGrpc.newStub(channel);
    }

    SessionClient session() {
        return new SessionClient(async());
    }

    /** Registers a ready storage node whose session stays open (the clock only moves when a test moves it). */
    SessionClient liveStorageNode(int id) {
        SessionClient session = session();
        session.register(storage(id, "instance-" + id).build());
        return session;
    }

    static RegisterNode.Builder storage(int id, String instance) {
        return RegisterNode.newBuilder().setRole(NodeRole.STORAGE).setNodeId(id).setInstanceId(instance)
                .setHost("storage-" + id).setPort(9100 + id).setReady(true).setSessionTimeoutMs(60_000);
    }

    /** The call fails with this gRPC status code and this Strata reason, and the message says {@code messagePart}. */
    static void assertStrataError(ThrowingCallable call, ErrorCode reason, String messagePart) {
        assertThatThrownBy(call).satisfies(e -> assertStrataError(e, reason, messagePart));
    }

    static void assertStrataError(Throwable e, ErrorCode reason, String messagePart) {
        assertThat(StrataError.reasonOf(e)).contains(reason);
        Status status = Status.fromThrowable(e);
        assertThat(status.getCode()).isEqualTo(StrataError.statusCode(reason));
        assertThat(status.getDescription()).contains(messagePart);
    }

    /**
     * Stops as a killed process would: the store is closed first, so nothing this instance does
     * afterwards reaches it (node sessions cut by the crash cannot revoke their leases, which run
     * out), then the server is cut. {@link #close()} after it is harmless.
     */
    void crash() throws InterruptedException {
        store.close();
        server.shutdownNow();
        channel.shutdownNow();
        server.awaitTermination(10, TimeUnit.SECONDS);
        service.close();
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow();
        server.shutdownNow();
        server.awaitTermination(10, TimeUnit.SECONDS);
        channel.awaitTermination(10, TimeUnit.SECONDS);
        service.close();
        store.close();
    }
}
