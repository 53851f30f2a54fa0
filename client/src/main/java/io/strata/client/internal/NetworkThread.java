package io.strata.client.internal;

import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;

import java.util.concurrent.TimeUnit;

/**
 * One I/O thread owned by one client, which reads and writes all of that client's connections
 * and also runs what their answers complete — a Kafka producer's network thread. Without it, every
 * answer goes from gRPC's shared event loops to gRPC's shared executor before the client sees it:
 * one more thread to wake per answer, which on a machine whose cores are all busy is where a
 * saturated producer's answers waited (BENCHMARKS.md, "Produce path", session 11).
 *
 * <p>So whatever an answer completes runs on this thread and must not block: a blocked callback
 * stops the client's I/O (as in Kafka's producer, whose callbacks run on its I/O thread).
 * The thread is a daemon.
 */
public final class NetworkThread implements AutoCloseable {

    private final EventLoopGroup group;
    private final Class<? extends Channel> channelType;

    /** @param name the thread's name prefix */
    public NetworkThread(String name) {
        DefaultThreadFactory threads = new DefaultThreadFactory(name, true);
        if (Epoll.isAvailable()) { // the transport grpc-java picks by default on Linux
            group = new EpollEventLoopGroup(1, threads);
            channelType = EpollSocketChannel.class;
        } else {
            group = new NioEventLoopGroup(1, threads);
            channelType = NioSocketChannel.class;
        }
    }

    /** Whether the caller runs on this thread (in a callback of this client's). */
    public boolean isCurrent() {
        return group.next().inEventLoop();
    }

    /** Makes a channel use this thread for its I/O and for delivering its answers. */
    void configure(NettyChannelBuilder builder) {
        builder.eventLoopGroup(group).channelType(channelType).directExecutor();
    }

    /** Stops the thread once the channels using it are closed; does not wait. */
    @Override
    public void close() {
        group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
    }
}
