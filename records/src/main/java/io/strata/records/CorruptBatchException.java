package io.strata.records;

/** A batch whose CRC32C does not match its content. */
public class CorruptBatchException extends InvalidBatchException {
    public CorruptBatchException(String message) {
        super(message);
    }
}
