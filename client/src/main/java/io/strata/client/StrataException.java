package io.strata.client;

import io.grpc.Status;
import io.strata.proto.StrataError;
import io.strata.proto.v1.ErrorCode;

import java.util.Objects;
import java.util.Optional;

/**
 * A failed Strata operation. It carries the server's stable {@link #reason() reason} (the
 * {@code strata-error} trailer, see {@link StrataError}) and whether the operation may be retried;
 * the message is written for a person and is the server's own when the server failed the call.
 *
 * <p>Failures without a Strata reason, such as an unreachable node, have the reason
 * {@link ErrorCode#ERROR_CODE_UNSPECIFIED}; {@link #statusCode()} then tells the transport-level
 * cause and {@link #reasonName()} names it (e.g. {@code UNAVAILABLE}).
 *
 * <p>Decide what to do from {@link #reason()} and {@link #retriable()}, never from the message.
 */
public class StrataException extends RuntimeException {

    private final ErrorCode reason;
    private final String reasonName;
    private final boolean retriable;
    private final Status.Code statusCode;

    /** A failure with a Strata reason; retriable as {@link StrataError#retriable(ErrorCode)} says. */
    public StrataException(ErrorCode reason, String message) {
        this(reason, message, null);
    }

    /** As {@link #StrataException(ErrorCode, String)}, with a cause. */
    public StrataException(ErrorCode reason, String message, Throwable cause) {
        this(reason, reason.name(), StrataError.retriable(reason), null, message, cause);
    }

    /**
     * The full form, used when a failed call is converted.
     *
     * @param reason     the Strata reason, {@link ErrorCode#ERROR_CODE_UNSPECIFIED} when there is none
     * @param reasonName the reason's name as received (kept even when this client does not know
     *                   the reason), or the gRPC status code's name when there is no reason
     * @param retriable  whether the operation may be retried
     * @param statusCode the gRPC status code of the failed call, or {@code null} for a failure
     *                   detected by the client itself
     * @param message    the message for a person
     * @param cause      the underlying failure, or {@code null}
     */
    public StrataException(ErrorCode reason, String reasonName, boolean retriable, Status.Code statusCode,
                           String message, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.reasonName = Objects.requireNonNull(reasonName, "reasonName");
        this.retriable = retriable;
        this.statusCode = statusCode;
    }

    /** The Strata reason; {@link ErrorCode#ERROR_CODE_UNSPECIFIED} when the failure had none. */
    public ErrorCode reason() {
        return reason;
    }

    /**
     * The reason's name for people and logs: the Strata reason (as the server spelled it, even if
     * this client does not know it), else the gRPC status code of the failed call.
     */
    public String reasonName() {
        return reasonName;
    }

    /** Whether repeating the operation (after a metadata refresh where it applies) may succeed. */
    public boolean retriable() {
        return retriable;
    }

    /** The gRPC status code of the failed call; empty for a failure the client detected itself. */
    public Optional<Status.Code> statusCode() {
        return Optional.ofNullable(statusCode);
    }
}
