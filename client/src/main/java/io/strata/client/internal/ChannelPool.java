package io.strata.client.internal;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * One plaintext gRPC channel per address, shared by everything one client does (coordination
 * and storage calls to the same {@code host:port} use the same channel). Thread-safe. The
 * channels are closed by {@link #close()}.
 */
public final class ChannelPool implements AutoCloseable {

    /** Largest answer accepted: fetch responses carry up to several MiB of batches. */
    public static final int MAX_INBOUND_MESSAGE_BYTES = 64 * 1024 * 1024;
    /** HTTP/2 flow-control window per stream. */
    public static final int FLOW_CONTROL_WINDOW_BYTES = 8 * 1024 * 1024;

    private final ConcurrentHashMap<Address, ManagedChannel> channels = new ConcurrentHashMap<>();
    private final String userAgent;
    private volatile boolean closed;

    /** @param clientId put into the user agent, may be empty */
    public ChannelPool(String clientId) {
        this.userAgent = clientId == null || clientId.isEmpty() ? "strata-java" : "strata-java/" + clientId;
    }

    /** The channel to {@code address}, created on first use. */
    public ManagedChannel channel(Address address) {
        if (closed) {
            throw new IllegalStateException("the client is closed");
        }
        return channels.computeIfAbsent(address, a -> NettyChannelBuilder.forAddress(a.host(), a.port())
                .usePlaintext()
                .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
                .flowControlWindow(FLOW_CONTROL_WINDOW_BYTES)
                .userAgent(userAgent)
                .build());
    }

    /** Shuts every channel down, waiting up to {@code timeoutMs} in total before forcing. */
    public void close(long timeoutMs) {
        closed = true;
        List<ManagedChannel> all = new ArrayList<>(channels.values());
        channels.clear();
        all.forEach(ManagedChannel::shutdown);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(0, timeoutMs));
        for (ManagedChannel channel : all) {
            try {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !channel.awaitTermination(left, TimeUnit.NANOSECONDS)) {
                    channel.shutdownNow();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                channel.shutdownNow();
            }
        }
    }

    @Override
    public void close() {
        close(5_000);
    }
}
