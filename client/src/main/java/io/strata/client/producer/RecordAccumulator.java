package io.strata.client.producer;

import io.strata.client.StrataException;
import io.strata.client.TopicPartition;
import io.strata.records.Compression;
import io.strata.records.RecordHeader;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * Per-partition queues of {@link ProducerBatch}es: sending threads append records to the last
 * batch of a partition's queue, the sender drains queues from the front.
 *
 * <p>Readiness: a partition is ready when its first batch is full, a second batch queued
 * behind it, the first batch has waited {@code linger.ms}, a flush is in progress, the producer
 * is closing, or the first batch is a retry. Time comes from the injected {@link Clock}.
 *
 * <p>Memory: a batch holds {@code batch.size} bytes of the {@link BufferPool} (more for a record
 * larger than that) from its creation until it completes, as Kafka's producer does, and each of
 * its records {@link ProducerBatch#RECORD_OBJECTS_BYTES} for its future and bookkeeping, so what
 * the queued and in-flight batches hold stays within {@code buffer.memory}. With a
 * {@link QueueDelayLimiter} (the default), answered batches tell it how long they queued, and
 * it lowers the part of that memory new records may use while the queue stands.
 *
 * <p>Thread-safe: each queue is guarded by its own monitor; memory is reserved outside it. The
 * append that finds a batch full compresses it under that monitor, on the sending thread (see
 * {@link ProducerBatch#tryAppend}), so that draining leaves the sender only the header and CRC.
 */
final class RecordAccumulator {

    /**
     * What an append did.
     *
     * @param newBatch  the record started a new batch
     * @param batchFull the batch the record went to is full now
     * @param aborted   nothing was appended: the partition had no open batch and the caller asked
     *                  to be told (so a sticky partitioner can move on first)
     */
    record AppendResult(boolean newBatch, boolean batchFull, boolean aborted) {
        static final AppendResult ABORTED = new AppendResult(false, false, true);
        /** The results of appends, by [newBatch][batchFull]: none allocated per record. */
        private static final AppendResult[][] APPENDED = {
                {new AppendResult(false, false, false), new AppendResult(false, true, false)},
                {new AppendResult(true, false, false), new AppendResult(true, true, false)}};

        static AppendResult appended(boolean newBatch, boolean batchFull) {
            return APPENDED[newBatch ? 1 : 0][batchFull ? 1 : 0];
        }
    }

    /**
     * Which partitions can be sent now.
     *
     * @param ready            partitions with a sendable first batch
     * @param nextCheckDelayMs when another partition becomes ready by lingering or a batch expires,
     *                         from now; {@link Long#MAX_VALUE} when nothing waits
     */
    record ReadyCheck(Set<TopicPartition> ready, long nextCheckDelayMs) {
    }

    private final int batchSize;
    private final Compression compression;
    private final long lingerMs;
    private final long deliveryTimeoutMs;
    private final BufferPool pool;
    /** Null: the queue may use the whole buffer ({@code queue.max.delay.ms=0}). */
    private final QueueDelayLimiter limiter;
    private final Clock clock;
    private final ConcurrentMap<TopicPartition, Deque<ProducerBatch>> queues = new ConcurrentHashMap<>();
    private final Set<ProducerBatch> incomplete = ConcurrentHashMap.newKeySet();
    private final AtomicInteger flushesInProgress = new AtomicInteger();
    private volatile boolean closing;

    /** @param queueMaxDelayMs {@code queue.max.delay.ms}; 0: no {@link QueueDelayLimiter} */
    RecordAccumulator(int batchSize, Compression compression, long lingerMs, long deliveryTimeoutMs, BufferPool pool,
                      long queueMaxDelayMs, Clock clock) {
        this.limiter = queueMaxDelayMs > 0 ? new QueueDelayLimiter(pool, queueMaxDelayMs, batchSize) : null;
        this.batchSize = batchSize;
        this.compression = compression;
        this.lingerMs = lingerMs;
        this.deliveryTimeoutMs = deliveryTimeoutMs;
        this.pool = pool;
        this.clock = clock;
    }

    /**
     * Appends a record to the partition's open batch, or to a new batch whose buffer memory it
     * reserves first, waiting up to {@code maxBlockMs} for it.
     *
     * @param abortOnNewBatch return {@link AppendResult#ABORTED} instead of starting a new batch
     * @throws StrataException {@code BUFFER_EXHAUSTED} when no memory came free in time,
     *                         {@code RECORD_TOO_LARGE} for a record larger than {@code buffer.memory}
     */
    AppendResult append(TopicPartition tp, Callback callback, long timestamp, byte[] key, byte[] value,
                        List<RecordHeader> headers, boolean abortOnNewBatch, long maxBlockMs) {
        // The record's objects; the batch it joins owns them from then on.
        long leftMs = pool.reserve(ProducerBatch.RECORD_OBJECTS_BYTES, maxBlockMs);
        boolean joinedBatch = false;
        try {
            AppendResult result = appendReserved(tp, callback, timestamp, key, value, headers, abortOnNewBatch, leftMs);
            joinedBatch = !result.aborted();
            return result;
        } finally {
            if (!joinedBatch) {
                pool.release(ProducerBatch.RECORD_OBJECTS_BYTES);
            }
        }
    }

    private AppendResult appendReserved(TopicPartition tp, Callback callback, long timestamp, byte[] key,
                                        byte[] value, List<RecordHeader> headers, boolean abortOnNewBatch,
                                        long maxBlockMs) {
        int estimate = ProducerBatch.estimateSize(key, value, headers);
        Deque<ProducerBatch> queue = queues.computeIfAbsent(tp, x -> new ArrayDeque<>());
        synchronized (queue) {
            AppendResult joined = tryAppendToLast(queue, callback, timestamp, key, value, headers, estimate);
            if (joined != null) {
                return joined;
            }
            if (abortOnNewBatch) {
                return AppendResult.ABORTED;
            }
        }
        // Waiting for memory must not hold the queue: the sender drains it, which frees memory.
        int reserved = ProducerBatch.bytesToReserve(batchSize, estimate, pool.totalBytes() - ProducerBatch.RECORD_OBJECTS_BYTES);
        ByteBuffer buffer = pool.reserveBatch(reserved, maxBlockMs); // a reused buffer comes with its memory reserved
        boolean kept = false;
        try {
            synchronized (queue) {
                AppendResult joined = tryAppendToLast(queue, callback, timestamp, key, value, headers, estimate);
                if (joined != null) {
                    return joined; // another thread opened a batch meanwhile
                }
                long now = clock.millis();
                ProducerBatch batch = new ProducerBatch(tp, compression, batchSize, reserved, now,
                        saturatedAdd(now, deliveryTimeoutMs), buffer);
                batch.tryAppend(callback, timestamp, key, value, headers, estimate); // an empty batch takes any record
                ProducerBatch before = queue.peekLast();
                if (before != null) {
                    before.followedAt(now);
                }
                queue.addLast(batch);
                incomplete.add(batch);
                kept = true;
                return AppendResult.appended(true, batch.isFull());
            }
        } finally {
            if (!kept) {
                pool.release(reserved, buffer);
            }
        }
    }

    /** Under the queue's lock: appends to the last batch if it has room; null when it has none. */
    private AppendResult tryAppendToLast(Deque<ProducerBatch> queue, Callback callback, long timestamp, byte[] key,
                                         byte[] value, List<RecordHeader> headers, int estimate) {
        if (closing) {
            throw new IllegalStateException("the producer is closed");
        }
        ProducerBatch last = queue.peekLast();
        if (last != null) {
            if (last.tryAppend(callback, timestamp, key, value, headers, estimate)) {
                return AppendResult.appended(false, last.isFull());
            }
        }
        return null;
    }

    /** Which partitions are ready at {@code nowMs}, skipping {@code muted} ones (in flight or backing off). */
    ReadyCheck ready(long nowMs, Set<TopicPartition> muted) {
        Set<TopicPartition> ready = new HashSet<>();
        long next = Long.MAX_VALUE;
        boolean sendNow = closing || flushesInProgress.get() > 0;
        for (var entry : queues.entrySet()) {
            Deque<ProducerBatch> queue = entry.getValue();
            synchronized (queue) {
                ProducerBatch first = queue.peekFirst();
                if (first == null) {
                    continue;
                }
                next = Math.min(next, Math.max(0, first.deadlineMs() - nowMs));
                if (muted.contains(entry.getKey())) {
                    continue;
                }
                if (sendNow || sendable(first, queue.size() == 1, nowMs)) {
                    ready.add(entry.getKey());
                } else {
                    next = Math.min(next, lingerMs - (nowMs - first.createdMs()));
                }
            }
        }
        return new ReadyCheck(ready, next);
    }

    /** Stamps what a batch needs before its bytes are built (the idempotent producer's sequence). */
    @FunctionalInterface
    interface Sealer {
        /** False when the batch cannot be sealed yet; it then stays queued. */
        boolean seal(ProducerBatch batch);
    }

    /** The sealer of a producer without idempotence: nothing to stamp. */
    static final Sealer NOTHING_TO_STAMP = batch -> true;

    /**
     * As {@link #drain(TopicPartition, long, int, int, boolean, Sealer)} with every batch sendable
     * (as if each had lingered) and resends allowed.
     */
    List<ProducerBatch> drain(TopicPartition tp, int maxRequestBytes, int maxBatches, Sealer sealer) {
        return drain(tp, Long.MAX_VALUE, maxRequestBytes, maxBatches, true, sealer);
    }

    /**
     * Takes batches from the front of the partition's queue for one request: none when the first
     * is not sendable yet, else at least that one, then more while they are sendable, fit in
     * {@code maxRequestBytes} and number at most {@code maxBatches}. Sendable: full, not the last
     * of the queue (so nothing more goes in), lingered, a retry, or everything during a flush or
     * close. A batch marked "send alone" (after a split) goes in a request of its own.
     *
     * <p>Requests keep their batches: batches resent under the producer stamp they were sent with
     * ({@link ProducerBatch#sendGroup()} >= 0) go out again exactly as the request they first went
     * in, and only when {@code mayResend} (the partition has nothing in flight); batches never
     * sent and batches sent before never share a request. So a leader that wrote a request answers
     * its resend as a duplicate instead of refusing a mix. Every batch taken is sealed by
     * {@code sealer} and closed; taking stops at a batch the sealer refuses.
     */
    List<ProducerBatch> drain(TopicPartition tp, long nowMs, int maxRequestBytes, int maxBatches, boolean mayResend,
                              Sealer sealer) {
        Deque<ProducerBatch> queue = queues.get(tp);
        if (queue == null || maxBatches <= 0) {
            return List.of();
        }
        List<ProducerBatch> out = new ArrayList<>();
        synchronized (queue) {
            boolean sendNow = closing || flushesInProgress.get() > 0;
            long size = 0;
            while (!queue.isEmpty() && out.size() < maxBatches) {
                ProducerBatch batch = queue.peekFirst();
                if (out.isEmpty() && batch.sendGroup() >= 0 && !mayResend) {
                    break;
                }
                if (!out.isEmpty() && (batch.sendAlone() || !sameRequest(out.getFirst(), batch))) {
                    break;
                }
                if (!sendNow && !sendable(batch, batch == queue.peekLast(), nowMs)) {
                    break;
                }
                // Size first: a batch is sealed only when it goes. A sealed batch left behind would carry
                // sequences that are no longer next if the request before it fails for good.
                if (!out.isEmpty() && size + batch.sizeUpperBound() > maxRequestBytes) {
                    break;
                }
                if (!sealer.seal(batch)) {
                    break;
                }
                ByteBuffer bytes = batch.close();
                queue.pollFirst();
                out.add(batch);
                size += bytes.remaining();
                if (batch.sendAlone()) {
                    break;
                }
            }
        }
        return out;
    }

    /** Whether {@code batch} may go in the request that {@code first} opens. */
    private static boolean sameRequest(ProducerBatch first, ProducerBatch batch) {
        return batch.sendGroup() == first.sendGroup() && (batch.attempts() > 0) == (first.attempts() > 0);
    }

    /** Whether a batch may be sent now (without a flush or close): no more records will join it, or it waited enough. */
    private boolean sendable(ProducerBatch batch, boolean last, long nowMs) {
        return !last || batch.isFull() || batch.attempts() > 0 || nowMs - batch.createdMs() >= lingerMs;
    }

    /** Puts batches (of one partition, in their order) back at the front of its queue, for a retry. */
    void reenqueue(List<ProducerBatch> batches) {
        if (batches.isEmpty()) {
            return;
        }
        Deque<ProducerBatch> queue = queues.computeIfAbsent(batches.get(0).topicPartition(), x -> new ArrayDeque<>());
        synchronized (queue) {
            for (int i = batches.size() - 1; i >= 0; i--) {
                queue.addFirst(batches.get(i));
                incomplete.add(batches.get(i));
            }
        }
    }

    /**
     * Replaces a batch by the given ones in the set of incomplete batches (after a split); the
     * original's memory is released once every part is done.
     */
    void replaced(ProducerBatch original, List<ProducerBatch> parts) {
        incomplete.addAll(parts);
        if (incomplete.remove(original)) {
            original.done().whenComplete((ignored, failure) -> pool.release(original.reservedBytes()));
        }
    }

    /** Removes the queued batches whose delivery deadline has passed, except of {@code muted} partitions. */
    List<ProducerBatch> expire(long nowMs, Set<TopicPartition> muted) {
        return remove(tp -> !muted.contains(tp), b -> b.deadlineMs() <= nowMs);
    }

    /** Removes every queued batch of the given partitions. */
    List<ProducerBatch> removeAll(Predicate<TopicPartition> partitions) {
        return remove(partitions, b -> true);
    }

    /** Removes the queued batches of the given partitions that match {@code batches}. */
    List<ProducerBatch> remove(Predicate<TopicPartition> partitions, Predicate<ProducerBatch> batches) {
        List<ProducerBatch> out = new ArrayList<>();
        for (var entry : queues.entrySet()) {
            if (!partitions.test(entry.getKey())) {
                continue;
            }
            Deque<ProducerBatch> queue = entry.getValue();
            synchronized (queue) {
                for (Iterator<ProducerBatch> it = queue.iterator(); it.hasNext(); ) {
                    ProducerBatch b = it.next();
                    if (batches.test(b)) {
                        it.remove();
                        out.add(b);
                    }
                }
            }
        }
        return out;
    }

    /** The partitions that have queued batches. */
    Set<TopicPartition> partitionsWithBatches() {
        Set<TopicPartition> out = new HashSet<>();
        for (var entry : queues.entrySet()) {
            synchronized (entry.getValue()) {
                if (!entry.getValue().isEmpty()) {
                    out.add(entry.getKey());
                }
            }
        }
        return out;
    }

    /** Completes a batch's bookkeeping once it succeeded or failed: frees its memory, keeping its buffer for reuse. */
    void deallocate(ProducerBatch batch) {
        if (incomplete.remove(batch)) {
            pool.release(batch.reservedBytes(), batch.reusableBuffer());
        }
    }

    /** Frees a batch's memory, then fails its records (so their callbacks find the memory free). */
    void fail(ProducerBatch batch, StrataException error) {
        deallocate(batch);
        batch.fail(error);
    }

    /**
     * Frees a batch's memory, then completes its records from {@code baseOffset} on. A batch
     * answered at its first attempt tells the limiter how long it took since it was sendable.
     */
    void complete(ProducerBatch batch, long baseOffset, long logAppendTimeMs) {
        deallocate(batch);
        if (limiter != null && batch.attempts() == 1 && !batch.sendAlone()) {
            limiter.answered(batch.sendableSinceMs(lingerMs), batch.reservedBytes(), clock.millis());
        }
        batch.complete(baseOffset, logAppendTimeMs);
    }

    /**
     * From the sender's loop: lets the limiter give the whole buffer back while a partition is
     * {@code stalled} or after a stretch without answers; how long until it wants to be called
     * again ({@link Long#MAX_VALUE}: no need).
     */
    long tickQueueLimit(long nowMs, boolean stalled) {
        return limiter == null ? Long.MAX_VALUE : limiter.tick(nowMs, stalled);
    }

    /** The limiter of the queue; null when {@code queue.max.delay.ms=0} (for tests). */
    QueueDelayLimiter queueDelayLimiter() {
        return limiter;
    }

    /** Whether any batch is queued (sent or not, batches in flight are not queued). */
    boolean hasQueued() {
        return !partitionsWithBatches().isEmpty();
    }

    /** Makes every partition ready until {@link #endFlush()}. */
    void beginFlush() {
        flushesInProgress.incrementAndGet();
    }

    void endFlush() {
        flushesInProgress.decrementAndGet();
    }

    /** Waits until every batch incomplete at the call has completed (successfully or not). */
    void awaitIncomplete() throws InterruptedException {
        for (ProducerBatch b : List.copyOf(incomplete)) {
            try {
                b.done().get();
            } catch (java.util.concurrent.ExecutionException impossible) {
                // done() always completes normally
            }
        }
    }

    /** Refuses new appends and makes every partition ready. */
    void beginClose() {
        closing = true;
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }
}
