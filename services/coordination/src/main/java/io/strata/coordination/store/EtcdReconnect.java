package io.strata.coordination.store;

import io.etcd.jetcd.Client;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import org.jboss.logging.Logger;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Makes an {@link EtcdMetadataStore} reconnect within about a second of etcd's return, however
 * long etcd was gone.
 *
 * <p>Why: while etcd refuses connections, grpc-java retries with a growing backoff (1 s × 1.6
 * per attempt, ±20 %, capped at 120 s), and calls meanwhile wait for a connection until their
 * deadline. After 25 s of outage the next attempt can be 15 s away (measured: 14.5 s), after a
 * few minutes up to two minutes: etcd would be back and coordination still failing. jetcd
 * 0.8.5 neither sets that backoff nor exposes its channel, so this class takes the channel
 * from the client by reflection (jetcd is pinned; {@code ClientImpl.connectionManager
 * .getChannel()}), and before each call, while the channel is in TRANSIENT_FAILURE (waiting
 * out a backoff), asks for an attempt now with {@link ManagedChannel#resetConnectBackoff()},
 * grpc's own call for "the network may be back". The call then waits for that attempt within
 * its deadline, so the first call after etcd's return succeeds. At most one reset per
 * {@link #MIN_INTERVAL}, so a burst of calls during an outage makes no burst of connections.
 * The readiness probe calls the store every second, so an idle instance reconnects as soon.
 *
 * <p>If the channel cannot be found (another jetcd version), a warning says so once and
 * {@link #beforeCall()} does nothing: reconnection falls back to grpc's backoff.
 *
 * <p>Thread-safe.
 */
final class EtcdReconnect {

    private static final Logger LOG = Logger.getLogger(EtcdReconnect.class);
    /** The least time between two backoff resets. */
    static final Duration MIN_INTERVAL = Duration.ofMillis(500);

    /** jetcd's channel, or null when it could not be found. */
    private final ManagedChannel channel;
    private final AtomicLong lastResetNanos;

    EtcdReconnect(Client client) {
        this.channel = channelOf(client);
        this.lastResetNanos = new AtomicLong(System.nanoTime() - MIN_INTERVAL.toNanos());
    }

    /** Before a call: if the channel is backing off after failed connection attempts, try again now. */
    void beforeCall() {
        if (channel == null || channel.getState(false) != ConnectivityState.TRANSIENT_FAILURE) {
            return;
        }
        long now = System.nanoTime();
        long last = lastResetNanos.get();
        if (now - last >= MIN_INTERVAL.toNanos() && lastResetNanos.compareAndSet(last, now)) {
            channel.resetConnectBackoff();
        }
    }

    private static ManagedChannel channelOf(Client client) {
        try {
            Field manager = client.getClass().getDeclaredField("connectionManager");
            manager.setAccessible(true);
            Object connections = manager.get(client);
            Method getChannel = connections.getClass().getDeclaredMethod("getChannel");
            getChannel.setAccessible(true);
            return (ManagedChannel) getChannel.invoke(connections);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warnf("cannot reach jetcd's gRPC channel (%s): after a long etcd outage, this coordination instance may take"
                    + " up to grpc-java's reconnect backoff (at most 120 s) to use etcd again", e);
            return null;
        }
    }
}
