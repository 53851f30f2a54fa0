package io.strata.ingestion.publish;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.strata.proto.StrataError;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.Header;
import io.strata.proto.v1.PublishRecord;
import io.strata.proto.v1.PublishRequest;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PublishValidationTest {

    private static PublishRecord.Builder record() {
        return PublishRecord.newBuilder().setTopic("events").setValue(ByteString.copyFromUtf8("v"));
    }

    private static void assertRefused(PublishRequest request, int maxRecords, ErrorCode reason, String message) {
        assertThatThrownBy(() -> PublishValidation.validate(request, maxRecords))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getTrailers().get(StrataError.REASON_KEY)).isEqualTo(reason.name());
                    assertThat(e.getStatus().getDescription()).contains(message);
                });
    }

    @Test
    void aWellFormedRequestPasses() {
        PublishRequest request = PublishRequest.newBuilder()
                .addRecords(record().setKey(ByteString.copyFromUtf8("k")).setPartition(3).setTimestampMs(1)
                        .addHeaders(Header.newBuilder().setKey("trace").setValue(ByteString.EMPTY)))
                .addRecords(record())
                .build();
        assertThatCode(() -> PublishValidation.validate(request, 10)).doesNotThrowAnyException();
    }

    @Test
    void anEmptyOrOversizedRequestIsRefused() {
        assertRefused(PublishRequest.getDefaultInstance(), 10, ErrorCode.INVALID_REQUEST, "at least one record");
        assertRefused(PublishRequest.newBuilder().addRecords(record()).addRecords(record()).addRecords(record()).build(), 2,
                ErrorCode.INVALID_REQUEST, "at most 2 records");
    }

    @Test
    void theFirstBadRecordIsNamedByItsIndex() {
        assertRefused(PublishRequest.newBuilder().addRecords(record()).addRecords(record().setTopic("")).build(), 10,
                ErrorCode.INVALID_TOPIC, "record 1");
        assertRefused(PublishRequest.newBuilder().addRecords(record().setTopic("a/b")).build(), 10,
                ErrorCode.INVALID_TOPIC, "record 0");
        // Topics are checked once per run of records naming the same one: a change of topic is checked again.
        assertRefused(PublishRequest.newBuilder().addRecords(record()).addRecords(record()).addRecords(record().setTopic("other"))
                .addRecords(record().setTopic("a b")).addRecords(record()).build(), 10, ErrorCode.INVALID_TOPIC, "record 3");
        assertRefused(PublishRequest.newBuilder().addRecords(record().setPartition(-2)).build(), 10,
                ErrorCode.INVALID_REQUEST, "partition must be >= 0");
        assertRefused(PublishRequest.newBuilder().addRecords(record().setTimestampMs(-5)).build(), 10,
                ErrorCode.INVALID_REQUEST, "timestamp_ms must be >= 0");
        assertRefused(PublishRequest.newBuilder().addRecords(record().addHeaders(Header.newBuilder().setKey(""))).build(), 10,
                ErrorCode.INVALID_REQUEST, "empty key");
    }
}
