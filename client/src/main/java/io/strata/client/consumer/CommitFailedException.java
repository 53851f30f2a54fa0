package io.strata.client.consumer;

import io.strata.client.StrataException;
import io.strata.proto.v1.ErrorCode;

/**
 * A commit the group refused for good: this member was fenced or is unknown to the group (its
 * partitions may belong to another member now), another process took its place under its
 * {@code group.instance.id}, or, outside group management, the group has live members. Retrying
 * does not help; the records since the last commit may be delivered again to whoever owns the
 * partitions now. {@link #reason()} is the server's ({@code FENCED_MEMBER_EPOCH},
 * {@code UNKNOWN_MEMBER_ID}, {@code FENCED_INSTANCE_ID}: then the consumer's membership has failed
 * for good and {@code poll} throws), or {@code ERROR_CODE_UNSPECIFIED} when the consumer refused the
 * commit itself because it is not a member right now.
 */
public class CommitFailedException extends StrataException {

    /** @param reason the server's reason, {@link ErrorCode#ERROR_CODE_UNSPECIFIED} when there is none */
    public CommitFailedException(ErrorCode reason, String message, Throwable cause) {
        super(reason, reason == ErrorCode.ERROR_CODE_UNSPECIFIED ? "COMMIT_FAILED" : reason.name(), false, null,
                message, cause);
    }
}
