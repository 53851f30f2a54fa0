package io.strata.proto;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.strata.proto.v1.ErrorCode;

import java.util.Optional;

/**
 * The one error table for the wire: each {@link ErrorCode} paired with its gRPC status code
 * and whether a client may retry it. Servers throw {@link #exception(ErrorCode, String)};
 * clients read the reason back with {@link #reasonOf(Throwable)} and never parse messages.
 *
 * <p>The reason travels in the {@value #REASON_TRAILER_NAME} trailer as the enum's name.
 * For {@link ErrorCode#NOT_LEADER} the {@value #LEADER_TRAILER_NAME} trailer carries the
 * current leader's node id when it is known.
 */
public final class StrataError {

    public static final String REASON_TRAILER_NAME = "strata-error";
    public static final String LEADER_TRAILER_NAME = "strata-leader";
    public static final String RETRY_AFTER_TRAILER_NAME = "strata-retry-after-ms";

    public static final Metadata.Key<String> REASON_KEY =
            Metadata.Key.of(REASON_TRAILER_NAME, Metadata.ASCII_STRING_MARSHALLER);
    public static final Metadata.Key<String> LEADER_KEY =
            Metadata.Key.of(LEADER_TRAILER_NAME, Metadata.ASCII_STRING_MARSHALLER);
    public static final Metadata.Key<String> RETRY_AFTER_KEY =
            Metadata.Key.of(RETRY_AFTER_TRAILER_NAME, Metadata.ASCII_STRING_MARSHALLER);

    private StrataError() {
    }

    /** The gRPC status code a reason maps to. */
    public static Status.Code statusCode(ErrorCode reason) {
        return switch (reason) {
            case UNKNOWN_TOPIC_OR_PARTITION, UNKNOWN_GROUP, UNKNOWN_MEMBER_ID, UNKNOWN_PRODUCER_ID, UNKNOWN_QUOTA -> Status.Code.NOT_FOUND;
            case INVALID_TOPIC, INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR, INVALID_CONFIG,
                 RECORD_TOO_LARGE, INVALID_BATCH, INVALID_REQUEST -> Status.Code.INVALID_ARGUMENT;
            case TOPIC_ALREADY_EXISTS, NODE_ALREADY_REGISTERED, UNRELEASED_INSTANCE_ID -> Status.Code.ALREADY_EXISTS;
            case CORRUPT_BATCH -> Status.Code.DATA_LOSS;
            case OFFSET_OUT_OF_RANGE -> Status.Code.OUT_OF_RANGE;
            case NOT_LEADER, FENCED_LEADER_EPOCH, FENCED_MEMBER_EPOCH, GROUP_NOT_EMPTY,
                 OUT_OF_ORDER_SEQUENCE, INVALID_PRODUCER_EPOCH, INELIGIBLE_REPLICA, STALE_MEMBER_EPOCH,
                 FENCED_INSTANCE_ID -> Status.Code.FAILED_PRECONDITION;
            case DUPLICATE_SEQUENCE -> Status.Code.ALREADY_EXISTS;
            case UNKNOWN_LEADER_EPOCH, NOT_ENOUGH_REPLICAS, STORAGE_ERROR, NOT_ENOUGH_NODES, METADATA_UNAVAILABLE,
                 NOT_CONTROLLER, NOT_COORDINATOR -> Status.Code.UNAVAILABLE;
            case REQUEST_TIMED_OUT -> Status.Code.DEADLINE_EXCEEDED;
            case CAS_FAILED -> Status.Code.ABORTED;
            case BUFFER_EXHAUSTED -> Status.Code.RESOURCE_EXHAUSTED;
            case INTERNAL_ERROR, ERROR_CODE_UNSPECIFIED, UNRECOGNIZED -> Status.Code.INTERNAL;
        };
    }

    /** Whether a client may retry a call that failed with this reason (after a metadata refresh where it applies). */
    public static boolean retriable(ErrorCode reason) {
        return switch (reason) {
            case CORRUPT_BATCH, NOT_LEADER, FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH, NOT_ENOUGH_REPLICAS,
                 STORAGE_ERROR, REQUEST_TIMED_OUT, CAS_FAILED, NOT_ENOUGH_NODES, BUFFER_EXHAUSTED, METADATA_UNAVAILABLE,
                 NOT_CONTROLLER, NOT_COORDINATOR, STALE_MEMBER_EPOCH -> true;
            default -> false;
        };
    }

    /** A status exception carrying the reason trailer; {@code message} is what a person reads. */
    public static StatusRuntimeException exception(ErrorCode reason, String message) {
        return exception(reason, message, new Metadata());
    }

    /** As {@link #exception(ErrorCode, String)}, with extra trailers (e.g. {@link #LEADER_KEY}). */
    public static StatusRuntimeException exception(ErrorCode reason, String message, Metadata trailers) {
        trailers.put(REASON_KEY, reason.name());
        return Status.fromCode(statusCode(reason)).withDescription(message).asRuntimeException(trailers);
    }

    /** The Strata reason of a failed call, if the server sent one. */
    public static Optional<ErrorCode> reasonOf(Throwable failure) {
        Metadata trailers = Status.trailersFromThrowable(failure);
        if (trailers == null || trailers.get(REASON_KEY) == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(ErrorCode.valueOf(trailers.get(REASON_KEY)));
        } catch (IllegalArgumentException unknownToThisClient) {
            return Optional.of(ErrorCode.UNRECOGNIZED);
        }
    }

    /** The leader named in a {@link ErrorCode#NOT_LEADER} failure, if any. */
    public static Optional<Integer> leaderOf(Throwable failure) {
        Metadata trailers = Status.trailersFromThrowable(failure);
        if (trailers == null || trailers.get(LEADER_KEY) == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(Integer.parseInt(trailers.get(LEADER_KEY)));
        } catch (NumberFormatException notANodeId) {
            return Optional.empty(); // NOT_CONTROLLER and NOT_COORDINATOR name a "host:port" in the same trailer
        }
    }
}
