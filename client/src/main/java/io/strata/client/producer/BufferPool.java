package io.strata.client.producer;

import io.strata.client.StrataException;
import io.strata.proto.v1.ErrorCode;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Accounts for the memory the producer holds for unsent and unanswered records
 * ({@code buffer.memory}): a new batch reserves its buffer's size ({@code batch.size}, or its
 * first record's size when larger) and every record {@link ProducerBatch#RECORD_OBJECTS_BYTES}
 * for its future and bookkeeping; the bytes come back when the batch completes. While the pool
 * is used up, {@link #reserve} blocks up to {@code max.block.ms}.
 *
 * <p>Buffers of exactly {@code batch.size} are kept for reuse, as Kafka's producer keeps them:
 * a completed batch's buffer goes to a free list with its share of the reservation, and the
 * next batch takes it from there instead of allocating (and zeroing) 64 KiB of heap per batch.
 * Free buffers count as available memory: a batch waiting for memory takes one as it comes
 * back, and a reservation that does not fit otherwise gives them back one at a time. So the memory
 * held stays within {@code buffer.memory}, free buffers included.
 *
 * <p>A {@linkplain #limit(long) limit} below {@code buffer.memory} makes reservations wait while
 * the memory in use (held by batches; free buffers are not in use) would exceed it: the
 * {@link QueueDelayLimiter} sets it to keep the queue to {@code queue.max.delay.ms} of sending.
 * A reservation goes through whenever nothing is in use, so a limit never stalls the producer.
 *
 * <p>Thread-safe. A reservation that fits is one compare-and-set (every {@code send} takes
 * one); the free list, a waiting sender and a release that could wake one take the lock.
 */
final class BufferPool {

    private final long totalBytes;
    /** The capacity of the buffers kept for reuse ({@code batch.size}); 0 keeps none. */
    private final int poolableSize;
    private final AtomicLong availableBytes;
    private final AtomicInteger waiters = new AtomicInteger();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition freed = lock.newCondition();
    /** Buffers of {@code poolableSize}, each still holding that much of the reservation. Guarded by {@code lock}. */
    private final ArrayDeque<ByteBuffer> free = new ArrayDeque<>();
    /** {@code free.size()}, readable without the lock (for the memory in use). Written under {@code lock}. */
    private volatile int freeCount;
    /** The memory reservations may bring the use up to; {@code totalBytes} when unlimited. */
    private volatile long limitBytes;

    BufferPool(long totalBytes) {
        this(totalBytes, 0);
    }

    BufferPool(long totalBytes, int poolableSize) {
        this.totalBytes = totalBytes;
        this.poolableSize = Math.max(0, poolableSize);
        this.availableBytes = new AtomicLong(totalBytes);
        this.limitBytes = totalBytes;
    }

    /**
     * Sets how much of the memory may be in use before reservations wait (clamped to
     * {@code buffer.memory}); raising it wakes the waiting senders. What is in use above a lowered
     * limit stays until its batches complete.
     */
    void limit(long bytes) {
        long clamped = Math.max(0, Math.min(totalBytes, bytes));
        long before = limitBytes;
        limitBytes = clamped;
        if (clamped > before && waiters.get() > 0) {
            lock.lock();
            try {
                freed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /** The current limit ({@code buffer.memory} when unlimited). */
    long limit() {
        return limitBytes;
    }

    /** The memory held by batches: reserved and not given back, free buffers excluded. */
    long inUseBytes() {
        return inUse(availableBytes.get());
    }

    private long inUse(long available) {
        return totalBytes - available - (long) freeCount * poolableSize;
    }

    /** Whether {@code bytes} more may come into use under the limit, with {@code available} unreserved. */
    private boolean withinLimit(long bytes, long available) {
        long limit = limitBytes;
        if (limit >= totalBytes) {
            return true;
        }
        long inUse = inUse(available);
        return inUse <= 0 || inUse + bytes <= limit;
    }

    /**
     * Reserves the memory of a new batch's buffer, waiting up to {@code maxBlockMs} for it, and
     * returns a free buffer of {@code size} bytes that comes with it reserved, or null when none
     * is free (the bytes are reserved: allocate one). A batch that had to wait takes the buffer a
     * completed batch gave back, as in Kafka's producer: under sustained overload every new batch
     * waits, and dropping the freed buffers then would allocate a fresh {@code batch.size} array
     * per batch that lives as long as the queue is deep (G1 copies it, then promotes it).
     *
     * @throws StrataException as {@link #reserve}
     */
    ByteBuffer reserveBatch(int size, long maxBlockMs) {
        boolean pooled = size == poolableSize && poolableSize > 0;
        if (pooled) {
            ByteBuffer free = takeFree(size);
            if (free != null) {
                return free;
            }
        }
        checkFits(size);
        if (tryTake(size)) {
            return null;
        }
        return await(size, TimeUnit.MILLISECONDS.toNanos(maxBlockMs), pooled);
    }

    /** A free buffer of {@code size} bytes with its memory reserved; null when none (for tests and {@link #reserveBatch}). */
    ByteBuffer takeFree(int size) {
        if (size != poolableSize || poolableSize == 0) {
            return null;
        }
        lock.lock();
        try {
            if (free.isEmpty() || !withinLimit(size, availableBytes.get())) {
                return null;
            }
            return pollFree(); // the most recently used: likely still in the CPU's caches
        } finally {
            lock.unlock();
        }
    }

    /** Under the lock: the most recently freed buffer (the free list is not empty). */
    private ByteBuffer pollFree() {
        ByteBuffer buffer = free.pollFirst();
        freeCount = free.size();
        return buffer;
    }

    /**
     * Gives a completed batch's {@code bytes} back; its {@code buffer} (null: none to reuse) is
     * kept for reuse when it has the pooled size, and a waiting sender is woken either way (a
     * batch takes the buffer, a smaller reservation drops it if it needs its memory). Nothing may
     * read or write the buffer afterwards.
     */
    void release(long bytes, ByteBuffer buffer) {
        if (buffer == null || poolableSize == 0 || buffer.capacity() != poolableSize || bytes < poolableSize) {
            release(bytes);
            return;
        }
        lock.lock();
        try {
            free.addFirst(buffer);
            freeCount = free.size();
            if (waiters.get() > 0) {
                freed.signalAll();
            }
        } finally {
            lock.unlock();
        }
        release(bytes - poolableSize);
    }

    /**
     * Takes {@code bytes} from the pool, waiting up to {@code maxBlockMs} for them.
     *
     * @return what is left of {@code maxBlockMs} (all of it when the bytes were free at once)
     * @throws StrataException {@link ErrorCode#RECORD_TOO_LARGE} when {@code bytes} exceed the whole
     *                         pool; {@link ErrorCode#BUFFER_EXHAUSTED} when the wait ran out
     */
    long reserve(int bytes, long maxBlockMs) {
        checkFits(bytes);
        if (tryTake(bytes)) {
            return maxBlockMs;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(maxBlockMs);
        await(bytes, TimeUnit.MILLISECONDS.toNanos(maxBlockMs), false);
        return Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
    }

    private void checkFits(int bytes) {
        if (bytes > totalBytes) {
            throw new StrataException(ErrorCode.RECORD_TOO_LARGE, "a record needs a batch of about " + bytes
                    + " bytes, more than " + ProducerConfig.BUFFER_MEMORY + "=" + totalBytes);
        }
    }

    /**
     * Waits until {@code bytes} can be reserved: a free buffer when {@code takesBuffer} and one
     * is there (returned, its memory reserved with it), else the bytes from the unreserved memory,
     * giving back free buffers one at a time (the least recently used first) when that is short.
     */
    private ByteBuffer await(int bytes, long maxWaitNanos, boolean takesBuffer) {
        lock.lock();
        waiters.incrementAndGet();
        try {
            long leftNanos = maxWaitNanos;
            // Counted as a waiter before this check: a release either sees the waiter or is seen here.
            while (true) {
                boolean fits = withinLimit(bytes, availableBytes.get());
                if (takesBuffer && !free.isEmpty() && fits) {
                    return pollFree();
                }
                if (tryTake(bytes)) {
                    return null;
                }
                // Free buffers' room helps only when memory, not the limit, is short.
                if (fits && dropLeastRecentFreeBuffer()) {
                    continue;
                }
                if (leftNanos <= 0) {
                    long limit = limitBytes;
                    throw new StrataException(ErrorCode.BUFFER_EXHAUSTED, "no buffer memory came free for "
                            + bytes + " more bytes within " + ProducerConfig.MAX_BLOCK_MS + "="
                            + TimeUnit.NANOSECONDS.toMillis(maxWaitNanos) + " ms (" + ProducerConfig.BUFFER_MEMORY
                            + "=" + totalBytes + (limit < totalBytes ? ", of which " + limit
                            + " while answers flow: " + ProducerConfig.QUEUE_MAX_DELAY_MS : "")
                            + ")");
                }
                leftNanos = freed.awaitNanos(leftNanos);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StrataException(ErrorCode.ERROR_CODE_UNSPECIFIED, "INTERRUPTED", false, null,
                    "interrupted while waiting for buffer memory", e);
        } finally {
            waiters.decrementAndGet();
            lock.unlock();
        }
    }

    private boolean tryTake(long bytes) {
        for (long available = availableBytes.get(); available >= bytes; available = availableBytes.get()) {
            if (!withinLimit(bytes, available)) {
                return false;
            }
            if (availableBytes.compareAndSet(available, available - bytes)) {
                return true;
            }
        }
        return false;
    }

    /** Gives {@code bytes} back and wakes blocked senders. */
    void release(long bytes) {
        if (bytes <= 0) {
            return;
        }
        availableBytes.addAndGet(bytes);
        if (waiters.get() > 0) {
            lock.lock();
            try {
                freed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /** Under the lock: gives one free buffer's memory back to the pool; whether there was one. */
    private boolean dropLeastRecentFreeBuffer() {
        if (free.pollLast() == null) {
            return false;
        }
        freeCount = free.size();
        availableBytes.addAndGet(poolableSize);
        return true;
    }

    /** The memory not held by batches: unreserved bytes and free buffers. */
    long availableBytes() {
        lock.lock();
        try {
            return availableBytes.get() + (long) free.size() * poolableSize;
        } finally {
            lock.unlock();
        }
    }

    /** Whether a sender waits for memory (for tests). */
    boolean hasWaiters() {
        return waiters.get() > 0;
    }

    /** How many buffers are kept for reuse (for tests). */
    int freeBuffers() {
        lock.lock();
        try {
            return free.size();
        } finally {
            lock.unlock();
        }
    }

    long totalBytes() {
        return totalBytes;
    }
}
