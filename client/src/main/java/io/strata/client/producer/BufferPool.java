package io.strata.client.producer;

import io.strata.client.StrataException;
import io.strata.proto.v1.ErrorCode;

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
 * <p>Thread-safe. A reservation that fits is one compare-and-set (every {@code send} takes
 * one); only a sender that has to wait takes the lock.
 */
final class BufferPool {

    private final long totalBytes;
    private final AtomicLong availableBytes;
    private final AtomicInteger waiters = new AtomicInteger();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition freed = lock.newCondition();

    BufferPool(long totalBytes) {
        this.totalBytes = totalBytes;
        this.availableBytes = new AtomicLong(totalBytes);
    }

    /**
     * Takes {@code bytes} from the pool, waiting up to {@code maxBlockMs} for them.
     *
     * @return what is left of {@code maxBlockMs} (all of it when the bytes were free at once)
     * @throws StrataException {@link ErrorCode#RECORD_TOO_LARGE} when {@code bytes} exceed the whole
     *                         pool; {@link ErrorCode#BUFFER_EXHAUSTED} when the wait ran out
     */
    long reserve(int bytes, long maxBlockMs) {
        if (bytes > totalBytes) {
            throw new StrataException(ErrorCode.RECORD_TOO_LARGE, "a record needs a batch of about " + bytes
                    + " bytes, more than " + ProducerConfig.BUFFER_MEMORY + "=" + totalBytes);
        }
        if (tryTake(bytes)) {
            return maxBlockMs;
        }
        lock.lock();
        waiters.incrementAndGet();
        try {
            long leftNanos = TimeUnit.MILLISECONDS.toNanos(maxBlockMs);
            // Counted as a waiter before this check: a release either sees the waiter or is seen here.
            while (!tryTake(bytes)) {
                if (leftNanos <= 0) {
                    throw new StrataException(ErrorCode.BUFFER_EXHAUSTED, "no buffer memory came free for "
                            + bytes + " more bytes within " + ProducerConfig.MAX_BLOCK_MS + "=" + maxBlockMs
                            + " ms (" + ProducerConfig.BUFFER_MEMORY + "=" + totalBytes + ")");
                }
                leftNanos = freed.awaitNanos(leftNanos);
            }
            return Math.max(0, TimeUnit.NANOSECONDS.toMillis(leftNanos));
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

    long availableBytes() {
        return availableBytes.get();
    }

    long totalBytes() {
        return totalBytes;
    }
}
