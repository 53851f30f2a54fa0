package io.strata.coordination.store;

import java.util.Objects;

/**
 * The store could not do what was asked. The {@link Reason} tells callers what to do; the
 * message says what happened for a person.
 */
public class MetadataStoreException extends RuntimeException {

    public enum Reason {
        /** The store did not answer in time or cannot be reached (etcd down, no quorum). A retry may succeed. */
        UNAVAILABLE,
        /** The store was closed (shutting down). */
        CLOSED,
        /**
         * The store cannot do it and a retry will not help: the embedded store hit an I/O error
         * or found corrupt state (every later call fails too); etcd refused the request for a
         * lasting reason (permission, corruption, an unsupported call).
         */
        FAILED,
        /** A put named a lease that does not exist (expired or revoked). */
        LEASE_NOT_FOUND,
        /** A watch asked for revisions the store no longer remembers. */
        COMPACTED
    }

    private final Reason reason;

    public MetadataStoreException(Reason reason, String message) {
        this(reason, message, null);
    }

    public MetadataStoreException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public Reason reason() {
        return reason;
    }

    /** Whether the same call may succeed later without any change by the caller. */
    public boolean retriable() {
        return reason == Reason.UNAVAILABLE;
    }
}
