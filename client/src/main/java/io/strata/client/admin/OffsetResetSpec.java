package io.strata.client.admin;

/**
 * Where {@link StrataAdmin#resetOffsets} moves a group's committed offsets on each partition of a
 * topic: {@link #earliest()}, {@link #latest()}, {@link #offset(long)} or {@link #time(long)}.
 */
public sealed interface OffsetResetSpec {

    /** The log start offset of each partition. */
    static OffsetResetSpec earliest() {
        return new Earliest();
    }

    /** The log end offset of each partition: everything so far counts as consumed. */
    static OffsetResetSpec latest() {
        return new Latest();
    }

    /** The same offset on every partition. */
    static OffsetResetSpec offset(long offset) {
        return new ToOffset(offset);
    }

    /** The first record at or after {@code timestampMs} (epoch ms) on each partition. */
    static OffsetResetSpec time(long timestampMs) {
        return new ToTime(timestampMs);
    }

    /** To the log start. */
    record Earliest() implements OffsetResetSpec {
    }

    /** To the log end. */
    record Latest() implements OffsetResetSpec {
    }

    /**
     * To a given offset.
     *
     * @param offset the offset, {@code >= 0}
     */
    record ToOffset(long offset) implements OffsetResetSpec {
        public ToOffset {
            if (offset < 0) {
                throw new IllegalArgumentException("offset must be >= 0, got " + offset);
            }
        }
    }

    /**
     * To a point in time.
     *
     * @param timestampMs epoch ms, {@code >= 0}
     */
    record ToTime(long timestampMs) implements OffsetResetSpec {
        public ToTime {
            if (timestampMs < 0) {
                throw new IllegalArgumentException("timestamp must be >= 0, got " + timestampMs);
            }
        }
    }
}
