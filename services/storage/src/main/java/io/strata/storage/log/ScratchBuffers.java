package io.strata.storage.log;

import java.nio.ByteBuffer;

/**
 * Per-thread direct buffers for the data path. A produce request is copied once into one of
 * these (the leader must stamp offsets, so it needs a mutable copy) and written to the segment
 * from it; a fetch (a consumer's or a follower's) reads the segment into one and the response
 * wraps it; a follower copies the leader's batches into one, checks their CRCs and appends them. Direct buffers save
 * the JDK's hidden copy through a temporary direct buffer on every file read and write, and
 * reuse saves allocating and zeroing a heap array per request.
 *
 * <p>Safe because the buffer is used only until the call that consumes it returns on the same
 * thread: the log's append writes it synchronously, and grpc-java serialises a response message
 * into its own transport buffers inside {@code onNext}. A caller must therefore send (or drop)
 * what it read before it reads again on that thread. Sizes above {@link #MAX_POOLED} get a
 * one-off heap buffer.
 */
public final class ScratchBuffers {

    private static final int MAX_POOLED = 32 * 1024 * 1024;
    private static final int INITIAL = 1024 * 1024;

    private final ThreadLocal<ByteBuffer> buffers = new ThreadLocal<>();

    /** An empty buffer with exactly {@code size} bytes remaining, position 0. */
    public ByteBuffer take(int size) {
        if (size > MAX_POOLED) {
            return ByteBuffer.allocate(size);
        }
        ByteBuffer b = buffers.get();
        if (b == null || b.capacity() < size) {
            b = ByteBuffer.allocateDirect(Math.max(INITIAL, Integer.highestOneBit(Math.max(size - 1, 1)) << 1));
            buffers.set(b);
        }
        b.clear().limit(size);
        return b;
    }
}
