package io.strata.coordination.grpc;

import io.grpc.StatusRuntimeException;
import io.strata.coordination.CoordinationException;
import io.strata.coordination.store.MetadataStoreException;
import io.strata.proto.StrataError;
import io.strata.proto.v1.ErrorCode;
import org.jboss.logging.Logger;

/**
 * The one place coordination turns a failure into a gRPC status (through the wire's error
 * table, {@link StrataError}):
 * <ul>
 *   <li>{@link CoordinationException} — its reason and message, as they are.</li>
 *   <li>{@link MetadataStoreException} that may pass (store unreachable, or closing during
 *       shutdown) — METADATA_UNAVAILABLE, retriable: another attempt or another coordination
 *       instance may answer.</li>
 *   <li>Anything else (a failed store, corrupt data, a bug) — INTERNAL_ERROR, logged here with
 *       what was being done; the client gets a message without class names.</li>
 * </ul>
 */
final class GrpcErrors {

    private static final Logger LOG = Logger.getLogger(GrpcErrors.class);

    private GrpcErrors() {
    }

    /** The status to answer {@code what} (e.g. "CreateTopic orders") with, after {@code failure}. */
    static StatusRuntimeException toStatus(Throwable failure, String what) {
        if (failure instanceof CoordinationException e) {
            return StrataError.exception(e.code(), e.getMessage());
        }
        if (failure instanceof StatusRuntimeException e) {
            return e;
        }
        if (failure instanceof MetadataStoreException e
                && (e.retriable() || e.reason() == MetadataStoreException.Reason.CLOSED)) {
            LOG.warnf("%s: metadata store unavailable: %s", what, e.getMessage());
            return StrataError.exception(ErrorCode.METADATA_UNAVAILABLE, what + ": the metadata store is unavailable ("
                    + e.getMessage() + "); retry, possibly on another coordination instance");
        }
        LOG.errorf(failure, "%s failed", what);
        String message = failure.getMessage() == null ? "no detail" : failure.getMessage();
        return StrataError.exception(ErrorCode.INTERNAL_ERROR, what + " failed on the server: " + message
                + " (see the coordination log)");
    }
}
