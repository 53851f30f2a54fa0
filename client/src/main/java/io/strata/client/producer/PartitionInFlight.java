package io.strata.client.producer;

import io.strata.client.TopicPartition;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * One partition's requests in flight, in the order they were sent, and its failed batches held
 * back until nothing of the partition is in flight any more (then they go back to the front of
 * its queue, in their drain order). The {@link Sender}'s rules for a partition (see there) rest on
 * this bookkeeping.
 *
 * <p>Not thread-safe: the sender guards every instance with its lock.
 */
final class PartitionInFlight {

    /**
     * A request in flight.
     *
     * @param id      the request's number; its batches' {@link ProducerBatch#sendGroup() send group}
     * @param batches its batches, in order
     * @param resend  whether it resends batches sent before under the same stamp
     * @param sentAtMs when it was sent
     */
    record Request(long id, List<ProducerBatch> batches, boolean resend, long sentAtMs) {
        long firstDrainOrder() {
            return batches.getFirst().drainOrder();
        }
    }

    /**
     * How long an acknowledgement keeps a partition's pipeline open ({@link #confirmed}): well
     * below the time after which a leader forgets an idle producer
     * ({@code strata.producer.id.expiration.ms}, a day by default).
     */
    static final long CONFIRMATION_TTL_MS = 60_000;

    private final TopicPartition tp;
    private final List<Request> inFlight = new ArrayList<>();
    private final List<ProducerBatch> held = new ArrayList<>();
    private boolean resendInFlight;
    private long nextDrainOrder;
    private ProducerIdAndEpoch confirmedId;
    private long confirmedAtMs;

    PartitionInFlight(TopicPartition tp) {
        this.tp = tp;
    }

    TopicPartition topicPartition() {
        return tp;
    }

    /**
     * Whether another request may go now: none is held back for a resend, no resend is in flight
     * (a resend goes alone, as in Kafka), fewer than {@code maxRequests} requests are in flight,
     * and {@link #batchAllowance} leaves room.
     */
    boolean mayStart(int maxRequests, int window) {
        return held.isEmpty() && !resendInFlight && inFlight.size() < maxRequests && batchAllowance(window) > 0;
    }

    /**
     * How many more batches may be drained so that no batch in flight is more than {@code window}
     * batches behind the newest one drained: the leader remembers that many batches per producer,
     * so a resend of any batch in flight is still recognised as a duplicate even when later
     * requests were answered first.
     */
    int batchAllowance(int window) {
        long oldest = Long.MAX_VALUE;
        for (Request r : inFlight) {
            oldest = Math.min(oldest, r.firstDrainOrder());
        }
        return oldest == Long.MAX_VALUE ? window : (int) Math.max(0, window - (nextDrainOrder - oldest));
    }

    /**
     * Whether the leader knows the partition's batches under {@code id}: it acknowledged one
     * within {@link #CONFIRMATION_TTL_MS}. Until then an idempotent partition sends one request
     * at a time, because a leader takes the first batch of a producer it does not know at any
     * sequence (KIP-360): had a first request failed while the one behind it was taken, the
     * records would be reordered.
     */
    boolean confirmed(ProducerIdAndEpoch id, long nowMs) {
        return id != null && id.equals(confirmedId) && nowMs - confirmedAtMs < CONFIRMATION_TTL_MS;
    }

    /** A request of batches numbered under {@code id} was acknowledged. */
    void confirm(ProducerIdAndEpoch id, long nowMs) {
        if (id != null) {
            confirmedId = id;
            confirmedAtMs = nowMs;
        }
    }

    /** Whether nothing is in flight (a resend may go only then). */
    boolean nothingInFlight() {
        return inFlight.isEmpty();
    }

    /**
     * Whether the partition is not moving: a failed request's batches are held back for a
     * resend, or a request has been in flight for {@code stallMs} or longer.
     */
    boolean stalled(long nowMs, long stallMs) {
        if (!held.isEmpty()) {
            return true;
        }
        for (Request r : inFlight) {
            if (nowMs - r.sentAtMs() >= stallMs) {
                return true;
            }
        }
        return false;
    }

    /** Whether nothing is in flight or held back. */
    boolean idle() {
        return inFlight.isEmpty() && held.isEmpty();
    }

    /**
     * Records a request about to be sent: its batches get their drain order (first drain only)
     * and its id as their send group (unless they were sent before under their current stamp).
     */
    Request start(long id, List<ProducerBatch> batches, long nowMs) {
        boolean resend = batches.getFirst().sendGroup() >= 0;
        for (ProducerBatch b : batches) {
            if (b.drainOrder() < 0) {
                b.drainOrder(nextDrainOrder++);
            }
            if (b.sendGroup() < 0) {
                b.sendGroup(id);
            }
        }
        Request r = new Request(id, List.copyOf(batches), resend, nowMs);
        inFlight.add(r);
        resendInFlight |= resend;
        return r;
    }

    /** The request's answer (or failure) arrived. */
    void finish(Request r) {
        if (inFlight.remove(r) && r.resend()) {
            resendInFlight = false;
        }
    }

    /**
     * Whether a batch sent before {@code r}'s is unresolved: still in flight, or held back for a
     * resend. Then a refusal of {@code r} as out of order is that batch's doing (Kafka's rule).
     */
    boolean hasEarlierUnresolved(Request r) {
        long order = r.firstDrainOrder();
        for (Request other : inFlight) {
            if (other.firstDrainOrder() < order) {
                return true;
            }
        }
        for (ProducerBatch b : held) {
            if (b.drainOrder() < order) {
                return true;
            }
        }
        return false;
    }

    /** Holds failed batches back until nothing is in flight. */
    void hold(List<ProducerBatch> batches) {
        held.addAll(batches);
    }

    /** Takes the held batches, in drain order (the parts of a split batch keep theirs); only when nothing is in flight. */
    List<ProducerBatch> takeHeld() {
        if (!inFlight.isEmpty() || held.isEmpty()) {
            return List.of();
        }
        List<ProducerBatch> out = new ArrayList<>(held);
        held.clear();
        out.sort(Comparator.comparingLong(ProducerBatch::drainOrder)); // stable: split parts stay in order
        return out;
    }
}
