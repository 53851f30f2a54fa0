package io.strata.records;

/**
 * A per-thread array that LZ4 output is written to before it is copied to its batch: a
 * producer compresses each batch on the thread that filled it, so a compressed batch allocates
 * nothing once that thread's scratch is large enough. Arrays above {@link #MAX_KEPT_BYTES} are
 * not kept (one oversized batch must not pin its size on a thread for good).
 */
final class Lz4Scratch {

    static final int MAX_KEPT_BYTES = 2 << 20;

    private static final ThreadLocal<byte[]> SCRATCH = new ThreadLocal<>();

    private Lz4Scratch() {
    }

    /** An array of at least {@code size} bytes, with arbitrary contents; the caller's until its next call. */
    static byte[] array(int size) {
        byte[] kept = SCRATCH.get();
        if (kept != null && kept.length >= size) {
            return kept;
        }
        byte[] fresh = new byte[size];
        if (size <= MAX_KEPT_BYTES) {
            SCRATCH.set(fresh);
        }
        return fresh;
    }
}
