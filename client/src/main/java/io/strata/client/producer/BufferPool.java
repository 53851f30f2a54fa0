package io.strata.client.producer;

import io.strata.client.StrataException;
import io.strata.proto.v1.ErrorCode;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Accounts for the bytes of records the producer holds ({@code buffer.memory}). A sender
 * reserves a record's estimated size before appending it and the bytes come back when its batch
 * completes; while the pool is used up, {@link #reserve} blocks up to {@code max.block.ms}.
 * Thread-safe.
 */
final class BufferPool {

    private final long totalBytes;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition freed = lock.newCondition();
    private long availableBytes;

    BufferPool(long totalBytes) {
        this.totalBytes = totalBytes;
        this.availableBytes = totalBytes;
    }

    /**
     * Takes {@code bytes} from the pool, waiting up to {@code maxBlockMs} for them.
     *
     * @throws StrataException {@link ErrorCode#RECORD_TOO_LARGE} when {@code bytes} exceed the whole
     *                         pool; {@link ErrorCode#BUFFER_EXHAUSTED} when the wait ran out
     */
    void reserve(int bytes, long maxBlockMs) {
        if (bytes > totalBytes) {
            throw new StrataException(ErrorCode.RECORD_TOO_LARGE, "record of about " + bytes
                    + " bytes is larger than " + ProducerConfig.BUFFER_MEMORY + "=" + totalBytes);
        }
        lock.lock();
        try {
            long leftNanos = TimeUnit.MILLISECONDS.toNanos(maxBlockMs);
            while (availableBytes < bytes) {
                if (leftNanos <= 0) {
                    throw new StrataException(ErrorCode.BUFFER_EXHAUSTED, "no buffer memory for a record of about "
                            + bytes + " bytes within " + ProducerConfig.MAX_BLOCK_MS + "=" + maxBlockMs
                            + " ms (" + ProducerConfig.BUFFER_MEMORY + "=" + totalBytes + ")");
                }
                leftNanos = freed.awaitNanos(leftNanos);
            }
            availableBytes -= bytes;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StrataException(ErrorCode.ERROR_CODE_UNSPECIFIED, "INTERRUPTED", false, null,
                    "interrupted while waiting for buffer memory", e);
        } finally {
            lock.unlock();
        }
    }

    /** Gives {@code bytes} back and wakes blocked senders. */
    void release(long bytes) {
        if (bytes <= 0) {
            return;
        }
        lock.lock();
        try {
            availableBytes = Math.min(totalBytes, availableBytes + bytes);
            freed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    long availableBytes() {
        lock.lock();
        try {
            return availableBytes;
        } finally {
            lock.unlock();
        }
    }

    long totalBytes() {
        return totalBytes;
    }
}
