package io.strata.records;

/** A batch that is structurally wrong: bad magic, length, record count or record framing. */
public class InvalidBatchException extends RuntimeException {
    public InvalidBatchException(String message) {
        super(message);
    }

    public InvalidBatchException(String message, Throwable cause) {
        super(message, cause);
    }
}
