package io.strata.client.internal;

import io.grpc.Metadata;
import io.grpc.Status;
import io.strata.client.StrataException;
import io.strata.proto.StrataError;
import io.strata.proto.v1.ErrorCode;

import java.nio.channels.ClosedChannelException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The one place where failed calls become {@link StrataException}s. The reason comes from the
 * {@code strata-error} trailer ({@link StrataError#reasonOf}); the message is the server's
 * status description. Failures without a trailer are transport failures: {@code UNAVAILABLE}
 * (node unreachable; also grpc-java's {@code UNKNOWN: channel closed} of a connection reset) is retriable, {@code DEADLINE_EXCEEDED} becomes
 * {@link ErrorCode#REQUEST_TIMED_OUT}, the rest are not retriable.
 */
public final class Errors {

    private Errors() {
    }

    /** Converts any failure of a call; a {@link StrataException} passes through unchanged. */
    public static StrataException toStrataException(Throwable failure) {
        return toStrataException(failure, null);
    }

    /**
     * As {@link #toStrataException(Throwable)}; {@code target} (e.g. {@code "127.0.0.1:9092"}),
     * when given, is named in the message of a transport failure.
     */
    public static StrataException toStrataException(Throwable failure, String target) {
        Throwable t = unwrap(failure);
        if (t instanceof StrataException se) {
            return se;
        }
        Status status = Status.fromThrowable(t);
        Metadata trailers = Status.trailersFromThrowable(t);
        String rawReason = trailers == null ? null : trailers.get(StrataError.REASON_KEY);
        if (rawReason != null) {
            ErrorCode reason = StrataError.reasonOf(t).orElse(ErrorCode.ERROR_CODE_UNSPECIFIED);
            boolean retriable = reason == ErrorCode.UNRECOGNIZED ? isRetriableCode(status.getCode())
                    : StrataError.retriable(reason);
            String message = status.getDescription() != null ? status.getDescription() : rawReason;
            return new StrataException(reason, rawReason, retriable, status.getCode(), message, t);
        }
        if (t instanceof CancellationException) {
            return new StrataException(ErrorCode.ERROR_CODE_UNSPECIFIED, "CANCELLED", false, Status.Code.CANCELLED,
                    "the request was cancelled", t);
        }
        if (status.getCode() == Status.Code.UNKNOWN && closedConnection(t)) {
            // grpc-java reports a connection reset by a dying server as "UNKNOWN: channel closed"
            // (grpc/grpc-java#10120): it is the same failure as UNAVAILABLE, and as retriable.
            status = Status.UNAVAILABLE.withDescription(status.getDescription()).withCause(status.getCause());
        }
        String message = transportMessage(status, target);
        return switch (status.getCode()) {
            case DEADLINE_EXCEEDED -> new StrataException(ErrorCode.REQUEST_TIMED_OUT, ErrorCode.REQUEST_TIMED_OUT.name(),
                    true, status.getCode(), message, t);
            default -> new StrataException(ErrorCode.ERROR_CODE_UNSPECIFIED, status.getCode().name(),
                    isRetriableCode(status.getCode()), status.getCode(), message, t);
        };
    }

    /** Strips {@link CompletionException} and {@link ExecutionException} wrappers. */
    public static Throwable unwrap(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static boolean closedConnection(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof ClosedChannelException) {
                return true;
            }
        }
        return false;
    }

    /** Whether a failure is a transport failure worth retrying on another node or later. */
    private static boolean isRetriableCode(Status.Code code) {
        return code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED;
    }

    private static String transportMessage(Status status, String target) {
        StringBuilder sb = new StringBuilder();
        if (status.getCode() == Status.Code.UNAVAILABLE && target != null) {
            sb.append("cannot reach ").append(target).append(": ");
        } else if (status.getCode() == Status.Code.DEADLINE_EXCEEDED) {
            sb.append("request timed out");
            if (target != null) {
                sb.append(" (").append(target).append(')');
            }
            sb.append(": ");
        }
        sb.append(status.getDescription() != null ? status.getDescription() : status.getCode().name().toLowerCase());
        Throwable cause = status.getCause();
        if (cause != null && cause.getMessage() != null
                && (status.getDescription() == null || !status.getDescription().contains(cause.getMessage()))) {
            sb.append(": ").append(cause.getMessage());
        }
        return sb.toString();
    }
}
