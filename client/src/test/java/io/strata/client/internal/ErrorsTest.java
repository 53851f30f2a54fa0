package io.strata.client.internal;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.strata.client.StrataException;
import io.strata.proto.StrataError;
import io.strata.proto.v1.ErrorCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.ConnectException;
import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(10)
class ErrorsTest {

    @Test
    void reasonComesFromTheTrailerAndMessageFromTheServer() {
        StatusRuntimeException wire = StrataError.exception(ErrorCode.NOT_LEADER, "node 2 leads t-0 now");
        StrataException e = Errors.toStrataException(wire);
        assertThat(e.reason()).isEqualTo(ErrorCode.NOT_LEADER);
        assertThat(e.reasonName()).isEqualTo("NOT_LEADER");
        assertThat(e.retriable()).isTrue();
        assertThat(e.getMessage()).isEqualTo("node 2 leads t-0 now");
        assertThat(e.statusCode()).contains(Status.Code.FAILED_PRECONDITION);
    }

    @Test
    void aConnectionClosedUnderACallIsRetriableAsUnavailable() {
        // What grpc-java reports when the server's process dies mid-call (grpc/grpc-java#10120).
        StatusRuntimeException wire = Status.UNKNOWN.withDescription("channel closed")
                .withCause(new java.nio.channels.ClosedChannelException()).asRuntimeException();
        StrataException e = Errors.toStrataException(wire, "127.0.0.1:9092");
        assertThat(e.retriable()).isTrue();
        assertThat(e.statusCode()).contains(Status.Code.UNAVAILABLE);
        assertThat(Errors.toStrataException(Status.UNKNOWN.withDescription("boom").asRuntimeException()).retriable()).isFalse();
    }

    @Test
    void nonRetriableReasonIsNotRetriable() {
        StrataException e = Errors.toStrataException(
                StrataError.exception(ErrorCode.RECORD_TOO_LARGE, "record of 2000000 bytes exceeds 1048588"));
        assertThat(e.reason()).isEqualTo(ErrorCode.RECORD_TOO_LARGE);
        assertThat(e.retriable()).isFalse();
    }

    @Test
    void wrappersAreUnwrapped() {
        StrataException e = Errors.toStrataException(new CompletionException(
                StrataError.exception(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "no such topic")));
        assertThat(e.reason()).isEqualTo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    }

    @Test
    void reasonUnknownToThisClientKeepsItsName() {
        Metadata trailers = new Metadata();
        trailers.put(StrataError.REASON_KEY, "SOMETHING_NEW");
        StrataException e = Errors.toStrataException(
                Status.FAILED_PRECONDITION.withDescription("new").asRuntimeException(trailers));
        assertThat(e.reason()).isEqualTo(ErrorCode.UNRECOGNIZED);
        assertThat(e.reasonName()).isEqualTo("SOMETHING_NEW");
        assertThat(e.retriable()).isFalse();
    }

    @Test
    void unreachableNodeIsRetriableAndNamedInTheMessage() {
        StatusRuntimeException wire = Status.UNAVAILABLE.withDescription("io exception")
                .withCause(new ConnectException("Connection refused")).asRuntimeException();
        StrataException e = Errors.toStrataException(wire, "127.0.0.1:9092");
        assertThat(e.reason()).isEqualTo(ErrorCode.ERROR_CODE_UNSPECIFIED);
        assertThat(e.reasonName()).isEqualTo("UNAVAILABLE");
        assertThat(e.retriable()).isTrue();
        assertThat(e.getMessage()).contains("127.0.0.1:9092").contains("Connection refused");
    }

    @Test
    void deadlineExceededBecomesRequestTimedOut() {
        StrataException e = Errors.toStrataException(Status.DEADLINE_EXCEEDED.asRuntimeException());
        assertThat(e.reason()).isEqualTo(ErrorCode.REQUEST_TIMED_OUT);
        assertThat(e.retriable()).isTrue();
    }

    @Test
    void strataExceptionPassesThrough() {
        StrataException original = new StrataException(ErrorCode.INVALID_CONFIG, "bad");
        assertThat(Errors.toStrataException(new CompletionException(original))).isSameAs(original);
    }
}
