package io.strata.storage.log;

import io.strata.records.RecordBatch;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The idempotent-producer state of one partition: per producer id, its epoch and its last
 * {@link ProducerStateEntry#BATCHES_RETAINED} batches. The leader checks every produce request
 * against it before anything touches the log; batches without producer id (-1) skip it all.
 * The rules are Kafka's (KIP-98; {@code ProducerStateManager}, {@code ProducerAppendInfo}):
 *
 * <ol>
 *   <li>an epoch below the producer's current one: {@link ProducerStateException.Kind#INVALID_PRODUCER_EPOCH}
 *       (a newer incarnation of the producer fenced this one);</li>
 *   <li>the same epoch and the same first and last sequence as a remembered batch: a retry of
 *       a batch already written, answered with the original offsets and not appended;</li>
 *   <li>a higher epoch must start at sequence 0, the same epoch must continue at the last
 *       sequence + 1 (after {@link Integer#MAX_VALUE} comes 0), else
 *       {@link ProducerStateException.Kind#OUT_OF_ORDER_SEQUENCE}; a retry of a batch older
 *       than the remembered ones lands here too, as in Kafka;</li>
 *   <li>a producer the partition does not know (never seen, expired, or the state rebuilt
 *       without it) is accepted at any sequence, its entry starting there: Kafka's behaviour
 *       since 2.5 (KIP-360), which answers no UNKNOWN_PRODUCER_ID on produce, because a
 *       producer whose state retention or expiry removed would otherwise be stuck for good.</li>
 * </ol>
 *
 * A request is checked as a whole, each batch against the state the earlier batches of the
 * same request would leave: either every batch is a duplicate (then nothing is appended), or
 * none is; a mix is refused ({@link ProducerStateException.Kind#MIXED_DUPLICATES}), since one
 * answer could not give both the old and the new offsets.
 *
 * <p>Producers idle (by the leader's clock) for {@code producer.id.expiration.ms} are dropped by
 * {@link #removeExpired()}. Kafka counts from the batches' own max timestamp instead, which
 * forgets producers at once that write records with old timestamps (a backfill); the leader's
 * clock does not.
 *
 * <p>Not thread-safe: the partition's writer calls it under the log's lock.
 */
final class ProducerStateTable {

    /** What earlier new batches of the request being checked left for a producer. */
    private record Pending(short epoch, int lastSequence) {
    }

    private final Map<Long, ProducerStateEntry> producers = new HashMap<>();
    private final long expirationMs;
    private final Clock clock;

    /**
     * @param expirationMs {@code producer.id.expiration.ms}: how long a producer may be idle before its state goes
     * @param clock        the leader's clock
     */
    ProducerStateTable(long expirationMs, Clock clock) {
        if (expirationMs < 1) {
            throw new IllegalArgumentException("producer id expiration must be >= 1 ms, got " + expirationMs);
        }
        this.expirationMs = expirationMs;
        this.clock = clock;
    }

    /**
     * Checks the whole batches in {@code [start, limit)} of {@code batches} (headers already
     * checked) without changing anything.
     *
     * @return the originals, in request order, when every batch was written before (the request
     *         is answered with their offsets and not appended); empty when it is to be appended
     * @throws ProducerStateException for a fenced epoch, a sequence out of order, or a mix of
     *                                duplicates and new batches
     */
    Optional<List<SequencedBatch>> check(ByteBuffer batches, int start, int limit) {
        // Allocated at the first idempotent batch: plain batches (the common case) cost no garbage.
        Map<Long, Pending> pending = null;
        List<SequencedBatch> duplicates = null;
        int fresh = 0;
        int index = 0;
        for (int p = start; p < limit; p += RecordBatch.sizeInBytes(batches, p), index++) {
            long producerId = RecordBatch.producerId(batches, p);
            if (producerId == RecordBatch.NO_PRODUCER_ID) {
                fresh++;
                continue;
            }
            short epoch = RecordBatch.producerEpoch(batches, p);
            int first = RecordBatch.baseSequence(batches, p);
            int last = RecordBatch.lastSequence(batches, p);
            if (pending == null) {
                pending = new HashMap<>();
                duplicates = new ArrayList<>();
            }
            ProducerStateEntry entry = producers.get(producerId);
            Pending earlier = pending.get(producerId);
            if (earlier == null && entry != null && entry.epoch() == epoch) {
                Optional<SequencedBatch> original = entry.find(first, last);
                if (original.isPresent()) {
                    duplicates.add(original.get());
                    continue;
                }
            }
            checkEpochAndSequence(producerId, epoch, first, entry, earlier, index);
            pending.put(producerId, new Pending(epoch, last));
            fresh++;
        }
        if (duplicates == null || duplicates.isEmpty()) {
            return Optional.empty();
        }
        if (fresh > 0) {
            throw new ProducerStateException(ProducerStateException.Kind.MIXED_DUPLICATES, duplicates.size()
                    + " batch(es) of the request were written before (first at offset " + duplicates.getFirst().firstOffset()
                    + ") and " + fresh + " are new: send the new ones in a request of their own");
        }
        for (int i = 1; i < duplicates.size(); i++) {
            if (duplicates.get(i).firstOffset() != duplicates.get(i - 1).lastOffset() + 1) {
                throw new ProducerStateException(ProducerStateException.Kind.DUPLICATE_SEQUENCE, "every batch of the"
                        + " request was written before, but not at consecutive offsets, so no single offset range"
                        + " answers it");
            }
        }
        return Optional.of(duplicates);
    }

    private static void checkEpochAndSequence(long producerId, short epoch, int first, ProducerStateEntry entry,
                                              Pending earlier, int index) {
        if (entry == null && earlier == null) {
            return; // unknown producer: any sequence (KIP-360)
        }
        short knownEpoch = earlier != null ? earlier.epoch() : entry.epoch();
        String batch = "batch " + index + " of the request: producer " + producerId;
        if (epoch < knownEpoch) {
            throw new ProducerStateException(ProducerStateException.Kind.INVALID_PRODUCER_EPOCH, batch + " has epoch "
                    + epoch + " but epoch " + knownEpoch + " already wrote: this producer was fenced by a newer one");
        }
        if (epoch > knownEpoch) {
            if (first != 0) {
                throw new ProducerStateException(ProducerStateException.Kind.OUT_OF_ORDER_SEQUENCE, batch
                        + " starts its new epoch " + epoch + " at sequence " + first + "; expected 0");
            }
            return;
        }
        int last = earlier != null ? earlier.lastSequence() : entry.lastSequence();
        int expected = RecordBatch.incrementSequence(last, 1);
        if (first != expected) {
            throw new ProducerStateException(ProducerStateException.Kind.OUT_OF_ORDER_SEQUENCE, batch + " (epoch "
                    + epoch + ") sent sequence " + first + "; expected " + expected + " (the last one written is "
                    + last + ")");
        }
    }

    /** Records the batches in {@code [start, limit)} after the log appended them (base offsets stamped). */
    void onAppended(ByteBuffer batches, int start, int limit) {
        long now = clock.millis();
        for (int p = start; p < limit; p += RecordBatch.sizeInBytes(batches, p)) {
            record(batches, p, now);
        }
    }

    /**
     * Recovery: records a batch read back from the log past the loaded snapshot. Its append time
     * is unknown, so the entry counts as active now (it expires later rather than sooner).
     */
    void replay(ByteBuffer header, int at) {
        record(header, at, clock.millis());
    }

    private void record(ByteBuffer buf, int at, long nowMs) {
        long producerId = RecordBatch.producerId(buf, at);
        if (producerId == RecordBatch.NO_PRODUCER_ID) {
            return;
        }
        short epoch = RecordBatch.producerEpoch(buf, at);
        SequencedBatch batch = new SequencedBatch(RecordBatch.baseSequence(buf, at), RecordBatch.lastSequence(buf, at),
                RecordBatch.baseOffset(buf, at), RecordBatch.lastOffset(buf, at), RecordBatch.maxTimestamp(buf, at));
        ProducerStateEntry entry = producers.get(producerId);
        producers.put(producerId, entry == null || entry.epoch() != epoch
                ? ProducerStateEntry.first(producerId, epoch, batch, nowMs) : entry.with(batch, nowMs));
    }

    /** Drops the producers idle for at least the expiration time; returns how many. */
    int removeExpired() {
        long now = clock.millis();
        int before = producers.size();
        producers.values().removeIf(e -> now - e.lastAppendMs() >= expirationMs);
        return before - producers.size();
    }

    /** Replaces the state with {@code entries} (a loaded snapshot), leaving out the expired ones. */
    void load(Collection<ProducerStateEntry> entries) {
        producers.clear();
        long now = clock.millis();
        for (ProducerStateEntry e : entries) {
            if (now - e.lastAppendMs() < expirationMs) {
                producers.put(e.producerId(), e);
            }
        }
    }

    /** Every entry, by producer id: what a snapshot writes. */
    List<ProducerStateEntry> entries() {
        List<ProducerStateEntry> all = new ArrayList<>(producers.values());
        all.sort(Comparator.comparingLong(ProducerStateEntry::producerId));
        return all;
    }

    Optional<ProducerStateEntry> entry(long producerId) {
        return Optional.ofNullable(producers.get(producerId));
    }
}
