package io.strata.records;

/** A record whose uncompressed size exceeds the partition's {@code max.message.bytes}. */
public class RecordTooLargeException extends InvalidBatchException {
    private final int recordSize;
    private final int limit;

    public RecordTooLargeException(int recordSize, int limit) {
        super("record of " + recordSize + " bytes exceeds max.message.bytes=" + limit);
        this.recordSize = recordSize;
        this.limit = limit;
    }

    /** Same, with {@code where} (for example "batch 0, record 3") leading the message. */
    public RecordTooLargeException(int recordSize, int limit, String where) {
        super(where + ": record of " + recordSize + " bytes exceeds max.message.bytes=" + limit);
        this.recordSize = recordSize;
        this.limit = limit;
    }

    public int recordSize() {
        return recordSize;
    }

    public int limit() {
        return limit;
    }
}
