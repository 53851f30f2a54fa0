package io.strata.replication.rules;

import io.strata.proto.v1.ErrorCode;

/** A request the controller refuses, with the wire reason and what a person reads. */
public final class RuleViolation extends RuntimeException {

    private final ErrorCode code;

    public RuleViolation(ErrorCode code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
