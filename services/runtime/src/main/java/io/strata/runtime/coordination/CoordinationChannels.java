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

    private final List<ManagedChannel> channels;
    private final AtomicInteger failures = new AtomicInteger();

    public CoordinationChannels(List<HostPort> endpoints) {
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("no coordination endpoint configured (strata.coordination.endpoints)");
        }
        this.channels = endpoints.stream()
                .map(e -> (ManagedChannel) NettyChannelBuilder.forAddress(e.host(), e.port()).usePlaintext().build())
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
