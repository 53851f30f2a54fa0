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

    /**
     * HTTP/2 keepalive pings while calls are open: when a connection has carried nothing for
     * {@code timeMs}, the client pings, and closes the connection (failing its calls with
     * {@code UNAVAILABLE}) when no answer comes within {@code timeoutMs}. So a call to a node that
     * froze or was cut off without a reset fails within about their sum, not at its deadline.
     * grpc-java raises a time below 10 s to 10 s; servers must permit pings that often (Strata's
     * servers permit one every 5 s).
     *
     * @param timeMs    idle time before a ping; 0 = no pings
     * @param timeoutMs how long a ping may go unanswered
     */
    public record KeepAlive(long timeMs, long timeoutMs) {
        /** No pings (the default): a silent node is noticed by call deadlines only. */
        public static final KeepAlive NONE = new KeepAlive(0, 0);
        /**
         * grpc-java's shortest: a call to a node that froze fails after about 15 s of silence, for
         * clients whose calls have no deadline (streams) or a long one.
         */
        public static final KeepAlive SHORTEST = new KeepAlive(10_000, 5_000);
    }

    private final ConcurrentHashMap<Address, ManagedChannel> channels = new ConcurrentHashMap<>();
    private final String userAgent;
    private final KeepAlive keepAlive;
    /** The client's own I/O thread, or null for gRPC's shared event loops and executor. */
    private final NetworkThread network;
    private volatile boolean closed;

    /** @param clientId put into the user agent, may be empty */
    public ChannelPool(String clientId) {
        this(clientId, KeepAlive.NONE);
    }

    /**
     * @param clientId  put into the user agent, may be empty
     * @param keepAlive pings on every channel of this pool
     */
    public ChannelPool(String clientId, KeepAlive keepAlive) {
        this(clientId, keepAlive, null);
    }

    /**
     * @param network the thread every channel of this pool does its I/O on and delivers its
     *                answers on (null: gRPC's shared event loops and executor); the caller owns
     *                it and closes it after this pool
     */
    public ChannelPool(String clientId, KeepAlive keepAlive, NetworkThread network) {
        this.userAgent = clientId == null || clientId.isEmpty() ? "strata-java" : "strata-java/" + clientId;
        this.keepAlive = keepAlive;
        this.network = network;
    }

    /** The channel to {@code address}, created on first use. */
    public ManagedChannel channel(Address address) {
        if (closed) {
            throw new IllegalStateException("the client is closed");
        }
        return channels.computeIfAbsent(address, a -> {
            NettyChannelBuilder builder = NettyChannelBuilder.forAddress(a.host(), a.port())
                    .usePlaintext()
                    .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
                    .flowControlWindow(FLOW_CONTROL_WINDOW_BYTES)
                    .userAgent(userAgent);
            if (network != null) {
                network.configure(builder);
            }
            if (keepAlive.timeMs() > 0) {
                builder.keepAliveTime(keepAlive.timeMs(), TimeUnit.MILLISECONDS)
                        .keepAliveTimeout(keepAlive.timeoutMs(), TimeUnit.MILLISECONDS)
                        .keepAliveWithoutCalls(false);
            }
            return builder.build();
        });
    }

    /** Shuts every channel down, waiting up to {@code timeoutMs} in total before forcing. */
    public void close(long timeoutMs) {
        if (network != null && network.isCurrent()) {
            timeoutMs = 0; // the channels terminate on this very thread: waiting here would only time out
        }
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
