package io.strata.storage.log;

/**
 * A read or lookup asked for an offset outside {@code [logStartOffset, logEndOffset]}. The client's
 * fault, not a storage failure: it should reset its position (e.g. to the log start offset).
 */
public final class OffsetOutOfRangeException extends RuntimeException {

    private final long requestedOffset;
    private final long logStartOffset;
    private final long logEndOffset;

    public OffsetOutOfRangeException(String partition, long requestedOffset, long logStartOffset, long logEndOffset) {
        super("offset " + requestedOffset + " of " + partition + " is out of range [" + logStartOffset + ", "
                + logEndOffset + "]");
        this.requestedOffset = requestedOffset;
        this.logStartOffset = logStartOffset;
        this.logEndOffset = logEndOffset;
    }

    public long requestedOffset() {
        return requestedOffset;
    }

    public long logStartOffset() {
        return logStartOffset;
    }

    public long logEndOffset() {
        return logEndOffset;
    }
}
