package io.strata.client.consumer;

import io.strata.client.StrataException;
import io.strata.client.internal.Errors;
import io.strata.proto.v1.GroupHeartbeatRequest;
import io.strata.proto.v1.GroupHeartbeatResponse;

import java.time.Clock;

/**
 * The consumer's background thread for group membership (daemon, one per consumer): sends the
 * heartbeats {@link MembershipManager} asks for, one at a time, and reports their outcome. It
 * never touches fetch state or calls the application; it only moves the state machine, which
 * tells the application thread when there is work.
 */
final class HeartbeatThread {

    private final MembershipManager membership;
    private final GroupTransport transport;
    private final Clock clock;
    private final long timeoutMs;
    private final Thread thread;
    private volatile boolean stopped;

    /**
     * @param timeoutMs deadline of one heartbeat call
     * @param name      the thread's name
     */
    HeartbeatThread(MembershipManager membership, GroupTransport transport, Clock clock, long timeoutMs, String name) {
        this.membership = membership;
        this.transport = transport;
        this.clock = clock;
        this.timeoutMs = timeoutMs;
        this.thread = new Thread(this::run, name);
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    private void run() {
        try {
            while (!stopped) {
                GroupHeartbeatRequest request = membership.awaitHeartbeat(clock, () -> stopped);
                if (request == null) {
                    return;
                }
                GroupHeartbeatResponse response;
                try {
                    response = transport.heartbeat(request, timeoutMs);
                } catch (StrataException e) {
                    membership.onFailure(request, e, clock.millis());
                    continue;
                } catch (RuntimeException e) {
                    membership.onFailure(request, Errors.toStrataException(e), clock.millis());
                    continue;
                }
                membership.onResponse(request, response, clock.millis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // stop() gave up waiting: end quietly
        }
    }

    /** Stops the thread, waiting up to {@code waitMs} for a heartbeat in flight, then interrupting it. */
    void stop(long waitMs) {
        stopped = true;
        membership.wakeUp();
        if (!thread.isAlive() || Thread.currentThread() == thread) {
            return;
        }
        try {
            thread.join(Math.max(1, waitMs));
            if (thread.isAlive()) {
                thread.interrupt();
                thread.join(1_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
