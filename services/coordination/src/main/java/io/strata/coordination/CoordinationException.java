package io.strata.coordination;

import io.strata.proto.v1.ErrorCode;

import java.util.Objects;

/**
 * An expected failure of a coordination operation: a reason from the wire's error table and a
 * message a user can act on. The domain classes throw it; the gRPC layer alone turns it into
 * a status with {@code io.strata.proto.StrataError}.
 */
public class CoordinationException extends RuntimeException {

    private final ErrorCode code;

    public CoordinationException(ErrorCode code, String message) {
        super(message);
        this.code = Objects.requireNonNull(code, "code");
    }

    public ErrorCode code() {
        return code;
    }
}
