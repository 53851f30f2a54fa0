package io.strata.ingestion.publish;

import io.strata.proto.StrataError;
import io.strata.proto.TopicNames;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.Header;
import io.strata.proto.v1.PublishRecord;
import io.strata.proto.v1.PublishRequest;

/**
 * Checks a Publish request before any record of it is sent, so a malformed request is refused
 * whole (INVALID_REQUEST / INVALID_TOPIC, gRPC INVALID_ARGUMENT) and no part of it becomes
 * visible. What only the leader can judge (unknown topic, record too large for the topic)
 * comes back per record.
 */
public final class PublishValidation {

    private PublishValidation() {
    }

    /** @throws io.grpc.StatusRuntimeException naming the first bad record by its index */
    public static void validate(PublishRequest request, int maxRecords) {
        int n = request.getRecordsCount();
        if (n == 0) {
            throw StrataError.exception(ErrorCode.INVALID_REQUEST, "a Publish request needs at least one record");
        }
        if (n > maxRecords) {
            throw StrataError.exception(ErrorCode.INVALID_REQUEST, "a Publish request carries at most " + maxRecords
                    + " records (strata.ingestion.max.request.records), got " + n + ": split it");
        }
        String validTopic = null; // records of a request usually share their topic: it is checked once
        for (int i = 0; i < n; i++) {
            PublishRecord r = request.getRecords(i);
            if (!r.getTopic().equals(validTopic)) {
                String topicError = TopicNames.validate(r.getTopic());
                if (topicError != null) {
                    throw StrataError.exception(ErrorCode.INVALID_TOPIC, "record " + i + ": " + topicError);
                }
                validTopic = r.getTopic();
            }
            validate(i, r);
        }
    }

    private static void validate(int index, PublishRecord r) {
        if (r.hasPartition() && r.getPartition() < 0) {
            throw StrataError.exception(ErrorCode.INVALID_REQUEST, "record " + index + ": partition must be >= 0, got "
                    + r.getPartition());
        }
        if (r.getTimestampMs() < 0) {
            throw StrataError.exception(ErrorCode.INVALID_REQUEST, "record " + index + ": timestamp_ms must be >= 0 (0 = now), got "
                    + r.getTimestampMs());
        }
        for (int h = 0; h < r.getHeadersCount(); h++) {
            Header header = r.getHeaders(h);
            if (header.getKey().isEmpty()) {
                throw StrataError.exception(ErrorCode.INVALID_REQUEST, "record " + index + ": header " + h + " has an empty key");
            }
        }
    }
}
