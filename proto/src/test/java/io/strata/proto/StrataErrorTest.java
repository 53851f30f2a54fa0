package io.strata.proto;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.strata.proto.v1.ErrorCode;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StrataErrorTest {

    @Test
    void everyReasonHasAStatusAndRoundTripsThroughTheTrailer() {
        for (ErrorCode reason : ErrorCode.values()) {
            if (reason == ErrorCode.UNRECOGNIZED) {
                continue;
            }
            StatusRuntimeException e = StrataError.exception(reason, "message");
            assertEquals(StrataError.statusCode(reason), e.getStatus().getCode());
            assertEquals(reason, StrataError.reasonOf(e).orElseThrow());
        }
    }

    @Test
    void notLeaderIsRetriableAndRecordTooLargeIsNot() {
        assertTrue(StrataError.retriable(ErrorCode.NOT_LEADER));
        assertFalse(StrataError.retriable(ErrorCode.RECORD_TOO_LARGE));
        assertEquals(Status.Code.OUT_OF_RANGE, StrataError.statusCode(ErrorCode.OFFSET_OUT_OF_RANGE));
        assertEquals(Status.Code.DATA_LOSS, StrataError.statusCode(ErrorCode.CORRUPT_BATCH));
    }

    @Test
    void aFencedInstanceIdIsAFailedPreconditionNotToBeRetried() {
        assertEquals(Status.Code.FAILED_PRECONDITION, StrataError.statusCode(ErrorCode.FENCED_INSTANCE_ID));
        assertFalse(StrataError.retriable(ErrorCode.FENCED_INSTANCE_ID));
        StatusRuntimeException e = StrataError.exception(ErrorCode.FENCED_INSTANCE_ID, "replaced");
        assertEquals(ErrorCode.FENCED_INSTANCE_ID, StrataError.reasonOf(e).orElseThrow());
    }

    @Test
    void aPlainGrpcFailureHasNoReason() {
        assertTrue(StrataError.reasonOf(Status.UNAVAILABLE.asRuntimeException()).isEmpty());
    }

    @Test
    void topicNamesFollowKafkasRules() {
        assertNull(TopicNames.validate("orders.v1_a-b"));
        assertTrue(TopicNames.validate("bad/name").contains("'/'"));
        assertTrue(TopicNames.validate("..").contains("'..'"));
        assertTrue(TopicNames.validate("x".repeat(250)).contains("249"));
        assertTrue(TopicNames.validate("").contains("empty"));
    }

    @Test
    void topicConfigsValidateKeysAndValues() {
        assertNull(TopicConfigs.validate(Map.of("retention.ms", "1000", "segment.bytes", "1048576")));
        assertTrue(TopicConfigs.validate(Map.of("retention.mss", "1")).contains("unknown topic config 'retention.mss'"));
        assertTrue(TopicConfigs.validate(Map.of("segment.bytes", "10")).contains(">= 1048576"));
        assertEquals("5", TopicConfigs.effective(Map.of(), Map.of("retention.ms", "5")).get("retention.ms"));
        assertEquals("7", TopicConfigs.effective(Map.of("retention.ms", "7"), Map.of("retention.ms", "5")).get("retention.ms"));
    }

    @Test
    void theLeaderTrailerNamesANodeForNotLeaderAndIsIgnoredWhenItIsAnAddress() {
        Metadata node = new Metadata();
        node.put(StrataError.LEADER_KEY, "2");
        assertEquals(Optional.of(2), StrataError.leaderOf(StrataError.exception(ErrorCode.NOT_LEADER, "moved", node)));
        Metadata controller = new Metadata();
        controller.put(StrataError.LEADER_KEY, "127.0.0.1:9092");
        StatusRuntimeException standby = StrataError.exception(ErrorCode.NOT_CONTROLLER, "standby", controller);
        assertEquals(Optional.empty(), StrataError.leaderOf(standby));
        assertEquals(Status.Code.UNAVAILABLE, standby.getStatus().getCode());
        assertTrue(StrataError.retriable(ErrorCode.NOT_CONTROLLER));
        assertEquals(Status.Code.FAILED_PRECONDITION, StrataError.statusCode(ErrorCode.INELIGIBLE_REPLICA));
    }
}

