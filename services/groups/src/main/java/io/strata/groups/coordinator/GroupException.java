package io.strata.groups.coordinator;

import io.strata.proto.v1.ErrorCode;

/** A refusal the client must see as it is: the reason (mapped to a gRPC status by the service) and a message a person can act on. */
public final class GroupException extends RuntimeException {

    private final ErrorCode code;

    public GroupException(ErrorCode code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
