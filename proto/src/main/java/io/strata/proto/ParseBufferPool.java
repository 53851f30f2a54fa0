package io.strata.proto;

import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * Byte arrays reused to parse large messages (fetch answers): a message is read into a pooled
 * array, its bytes fields alias that array ({@link LeasedMessageMarshaller}), and the array comes
 * back here when the message is done with ({@link LeasedMessage#close()}).
 *
 * <p>Why: a fetch answer of a megabyte, parsed the usual way, is copied into a fresh array of its
 * size. With G1 an array of half a region or more (a region is 1 MiB for heaps up to 2 GiB) is a
 * humongous object: allocated outside the young generation, and each one counts towards starting
 * a concurrent cycle (a JFR of one 10 M-record read counted 68 collections started by them). Reused
 * arrays also save the copy and the zeroing of a fresh array per answer.
 *
 * <p>Bounded: at most {@code maxFree} arrays, and at most {@code maxFreeBytes} in all, are kept;
 * an array released beyond that is left to the collector, and an acquire finding none free
 * allocates one. (A server parsing requests of any size up to its message limit needs the byte
 * bound: a count alone would let a burst of large requests pin that many large arrays.)
 * Thread-safe.
 */
public final class ParseBufferPool {

    private final int minPooledBytes;
    private final int typicalBytes;
    private final int maxFree;
    private final long maxFreeBytes;
    private final ArrayDeque<byte[]> free = new ArrayDeque<>();
    private long freeBytes; // guarded by free
    private int leased; // guarded by free

    /**
     * @param minPooledBytes messages smaller than this get an array of their own, left to the collector
     * @param typicalBytes   the size of a newly allocated pooled array, when the message is not larger
     * @param maxFree        how many released arrays are kept for reuse
     */
    public ParseBufferPool(int minPooledBytes, int typicalBytes, int maxFree) {
        this(minPooledBytes, typicalBytes, maxFree, Long.MAX_VALUE);
    }

    /** @param maxFreeBytes how many bytes of released arrays are kept for reuse, at most */
    public ParseBufferPool(int minPooledBytes, int typicalBytes, int maxFree, long maxFreeBytes) {
        if (minPooledBytes < 0 || typicalBytes < minPooledBytes || maxFree < 0 || maxFreeBytes < 0) {
            throw new IllegalArgumentException("need 0 <= minPooledBytes (" + minPooledBytes + ") <= typicalBytes ("
                    + typicalBytes + "), maxFree (" + maxFree + ") >= 0 and maxFreeBytes (" + maxFreeBytes + ") >= 0");
        }
        this.minPooledBytes = minPooledBytes;
        this.typicalBytes = typicalBytes;
        this.maxFree = maxFree;
        this.maxFreeBytes = maxFreeBytes;
    }

    /** Whether a message of {@code size} bytes is parsed into a pooled array. */
    public boolean pools(int size) {
        return size >= minPooledBytes;
    }

    /** A free array of at least {@code size} bytes (its contents are stale), or a new one. */
    public byte[] acquire(int size) {
        synchronized (free) {
            leased++;
            for (Iterator<byte[]> it = free.iterator(); it.hasNext(); ) {
                byte[] array = it.next();
                if (array.length >= size) {
                    it.remove();
                    freeBytes -= array.length;
                    return array;
                }
            }
        }
        return new byte[Math.max(size, typicalBytes)];
    }

    /** Takes an array back; nothing may read it afterwards. */
    public void release(byte[] array) {
        synchronized (free) {
            leased--;
            if (free.size() < maxFree && freeBytes + array.length <= maxFreeBytes) {
                free.addFirst(array); // the most recently used first: likely still in the CPU's caches
                freeBytes += array.length;
            }
        }
    }

    /** How many acquired arrays were not released yet (for tests and metrics: a leak shows here). */
    public int leasedCount() {
        synchronized (free) {
            return leased;
        }
    }

    /** How many bytes the free arrays hold (for tests and metrics). */
    public long freeBytes() {
        synchronized (free) {
            return freeBytes;
        }
    }

    /** How many arrays are free (for tests and metrics). */
    public int freeCount() {
        synchronized (free) {
            return free.size();
        }
    }
}
