package io.strata.coordination.store;

import io.etcd.jetcd.common.exception.ClosedClientException;
import io.etcd.jetcd.common.exception.EtcdException;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The one place where what jetcd and grpc-java throw becomes this package's errors. The
 * policy, by the gRPC status etcd or the channel answered:
 * <table>
 *   <caption>etcd failures</caption>
 *   <tr><th>status</th><th>becomes</th><th>why</th></tr>
 *   <tr><td>UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED, ABORTED, RESOURCE_EXHAUSTED, INTERNAL,
 *       UNKNOWN</td><td>{@code UNAVAILABLE}</td><td>etcd down, unreachable, without a leader,
 *       overloaded or slow: a retry may succeed</td></tr>
 *   <tr><td>NOT_FOUND "lease not found"</td><td>{@code LEASE_NOT_FOUND}</td><td>the lease
 *       expired or was revoked</td></tr>
 *   <tr><td>INVALID_ARGUMENT</td><td>{@link IllegalArgumentException}</td><td>the request
 *       breaks etcd's rules (a server configured below etcd's default limits): the caller's
 *       request, not worth a retry</td></tr>
 *   <tr><td>anything else (PERMISSION_DENIED, UNAUTHENTICATED, FAILED_PRECONDITION,
 *       OUT_OF_RANGE, UNIMPLEMENTED, DATA_LOSS, …), or a throwable that is no gRPC or etcd
 *       error</td><td>{@code FAILED}</td><td>a retry will not help</td></tr>
 * </table>
 * Any failure of a store that is closed, and jetcd's "client closed", is {@code CLOSED}. A
 * call that gets no answer within the request timeout is {@code UNAVAILABLE}. Every message
 * names the operation and etcd's endpoints, and keeps etcd's own description.
 */
final class EtcdErrors {

    private final String endpoints;
    private final Duration requestTimeout;

    EtcdErrors(String endpoints, Duration requestTimeout) {
        this.endpoints = endpoints;
        this.requestTimeout = requestTimeout;
    }

    /** What {@code failure} of operation {@code what} means to callers (see the table above). */
    RuntimeException convert(String what, Throwable failure, boolean storeClosed) {
        Throwable cause = unwrap(failure);
        if (storeClosed || cause instanceof ClosedClientException) {
            return closed(what);
        }
        Status.Code code = codeOf(cause);
        String description = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        if (code == null) {
            return new MetadataStoreException(MetadataStoreException.Reason.FAILED,
                    what + ": the etcd client failed: " + description, cause);
        }
        String message = what + ": etcd at " + endpoints + " answered " + code + ": " + description;
        return switch (code) {
            case UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED, ABORTED, RESOURCE_EXHAUSTED, INTERNAL, UNKNOWN ->
                    new MetadataStoreException(MetadataStoreException.Reason.UNAVAILABLE, message, cause);
            case NOT_FOUND -> description.toLowerCase(Locale.ROOT).contains("lease not found")
                    ? new MetadataStoreException(MetadataStoreException.Reason.LEASE_NOT_FOUND, message, cause)
                    : new MetadataStoreException(MetadataStoreException.Reason.FAILED, message, cause);
            case INVALID_ARGUMENT -> new IllegalArgumentException(message, cause);
            default -> new MetadataStoreException(MetadataStoreException.Reason.FAILED, message, cause);
        };
    }

    /** No answer within {@code waited}: the request timeout, or the shorter bound of a probe. */
    MetadataStoreException timedOut(String what, Duration waited) {
        return new MetadataStoreException(MetadataStoreException.Reason.UNAVAILABLE,
                what + ": etcd at " + endpoints + " did not answer within " + waited.toMillis() + " ms"
                        + (waited.equals(requestTimeout) ? " (strata.metadata.request.timeout.ms)" : "")
                        + "; the outcome of a write is unknown");
    }

    MetadataStoreException interrupted(String what, InterruptedException e) {
        return new MetadataStoreException(MetadataStoreException.Reason.UNAVAILABLE,
                what + ": interrupted while waiting for etcd at " + endpoints + "; the outcome of a write is unknown", e);
    }

    MetadataStoreException closed(String what) {
        return new MetadataStoreException(MetadataStoreException.Reason.CLOSED,
                what + ": the metadata store (etcd at " + endpoints + ") is closed");
    }

    /** The gRPC status code of a failure, or null when it is no gRPC or etcd error. */
    static Status.Code codeOf(Throwable failure) {
        Throwable cause = unwrap(failure);
        if (cause instanceof EtcdException etcd) {
            return Status.Code.valueOf(etcd.getErrorCode().name());
        }
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof StatusRuntimeException || t instanceof StatusException) {
                return Status.fromThrowable(t).getCode();
            }
        }
        return null;
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
