package io.strata.storage.log;

import java.io.IOException;

/**
 * The one exception of the log engine for storage failures: an I/O error on a log's files, or use
 * of a log that is closed or deleted. The cause, when there is one, is the {@link IOException}.
 *
 * <p>Policy (sticky failure): once an append, roll, flush or retention pass of a
 * {@link PartitionLog} hits an I/O error the log is marked failed and every later append, flush
 * and roll throws this exception, carrying the first failure as its cause, instead of writing
 * past a possible hole. Reads keep being served from what was made visible before the failure.
 * The log is healed only by a restart, whose recovery cuts any torn tail. Not retriable on the
 * same replica.
 */
public final class LogStorageException extends RuntimeException {

    public LogStorageException(String message) {
        super(message);
    }

    public LogStorageException(String message, Throwable cause) {
        super(message, cause);
    }
}
