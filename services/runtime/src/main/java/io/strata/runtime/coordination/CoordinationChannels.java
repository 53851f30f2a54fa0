package io.strata.runtime.coordination;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.strata.proto.v1.CoordinationGrpc;
import io.strata.runtime.HostPort;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A role's channels to the configured coordination instances ({@code strata.coordination.endpoints}):
 * calls go to one instance, and each reported failure moves on to the next, so a dead
 * instance is left behind while any other serves.
 */
public final class CoordinationChannels implements AutoCloseable {

    /**
     * Largest answer a role accepts from coordination. Above gRPC's 4 MiB default because a whole-cluster
     * metadata snapshot or one stored consumer group (a record of up to ~1.5 MB plus its committed
     * offsets) may be bigger.
     */
    static final int MAX_INBOUND_MESSAGE_BYTES = 64 * 1024 * 1024;

    private final List<ManagedChannel> channels;
    private final AtomicInteger failures = new AtomicInteger();

    public CoordinationChannels(List<HostPort> endpoints) {
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("no coordination endpoint configured (strata.coordination.endpoints)");
        }
        this.channels = endpoints.stream()
                .map(e -> (ManagedChannel) NettyChannelBuilder.forAddress(e.host(), e.port()).usePlaintext()
                        .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES).build())
                .toList();
    }

    /** A stub on the instance in use. */
    public CoordinationGrpc.CoordinationStub stub() {
        return CoordinationGrpc.newStub(channels.get(Math.floorMod(failures.get(), channels.size())));
    }

    /** A call or stream failed: the next stub goes to the next instance. */
    public void failed() {
        failures.incrementAndGet();
    }

    @Override
    public void close() {
        channels.forEach(ManagedChannel::shutdownNow);
    }
}
