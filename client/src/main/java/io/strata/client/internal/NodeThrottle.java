package io.strata.client.internal;

import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Quota throttling as a client honours it (Kafka's KIP-219): after an answer from a node with
 * {@code throttle_time_ms} T, the client sends that node nothing more until T has passed from
 * when the answer arrived. The node would hold an earlier request anyway (docs/QUOTAS.md);
 * waiting here keeps requests from queuing up there and running into their timeouts.
 * Thread-safe: answers are noted on gRPC threads, senders ask from theirs.
 */
public final class NodeThrottle {

    private final Clock clock;
    private final Map<Address, Long> throttledUntilMs = new ConcurrentHashMap<>();

    public NodeThrottle(Clock clock) {
        this.clock = clock;
    }

    /** Notes an answer from {@code node} that carried {@code throttleMs} (0 = not throttled). */
    public void throttle(Address node, int throttleMs) {
        if (throttleMs <= 0) {
            return;
        }
        long until = clock.millis() + throttleMs;
        throttledUntilMs.merge(node, until, Math::max);
    }

    /** How long to wait before the next request to {@code node}, in ms; 0 = send now. */
    public long delayMs(Address node) {
        Long until = throttledUntilMs.get(node);
        if (until == null) {
            return 0;
        }
        long left = until - clock.millis();
        if (left <= 0) {
            throttledUntilMs.remove(node, until);
            return 0;
        }
        return left;
    }

    /** Whether a request may go to {@code node} now. */
    public boolean ready(Address node) {
        return delayMs(node) == 0;
    }
}
