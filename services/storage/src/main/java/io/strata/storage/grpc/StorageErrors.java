package io.strata.storage.grpc;

import io.grpc.StatusRuntimeException;
import io.strata.proto.StrataError;
import io.strata.proto.v1.ErrorCode;
import io.strata.records.CorruptBatchException;
import io.strata.records.InvalidBatchException;
import io.strata.records.RecordTooLargeException;
import io.strata.storage.log.LogStorageException;
import io.strata.storage.log.OffsetOutOfRangeException;
import io.strata.storage.log.ProducerStateException;
import org.jboss.logging.Logger;

/** Maps the storage engine's and the batch validator's exceptions to the wire's error table, in one place. */
final class StorageErrors {

    private static final Logger LOG = Logger.getLogger(StorageErrors.class);

    private StorageErrors() {
    }

    static StatusRuntimeException toStatus(Throwable failure, String where) {
        if (failure instanceof StatusRuntimeException s) {
            return s;
        }
        if (failure instanceof RecordTooLargeException e) {
            return StrataError.exception(ErrorCode.RECORD_TOO_LARGE, "a record of " + e.recordSize()
                    + " bytes (uncompressed) exceeds max.message.bytes=" + e.limit() + " of " + where
                    + "; nothing was written");
        }
        if (failure instanceof CorruptBatchException e) {
            return StrataError.exception(ErrorCode.CORRUPT_BATCH, "corrupt batch for " + where + ": " + e.getMessage()
                    + "; nothing was written");
        }
        if (failure instanceof InvalidBatchException e) {
            return StrataError.exception(ErrorCode.INVALID_BATCH, "invalid batch for " + where + ": " + e.getMessage()
                    + "; nothing was written");
        }
        if (failure instanceof ProducerStateException e) {
            ErrorCode reason = switch (e.kind()) {
                case INVALID_PRODUCER_EPOCH -> ErrorCode.INVALID_PRODUCER_EPOCH;
                case OUT_OF_ORDER_SEQUENCE -> ErrorCode.OUT_OF_ORDER_SEQUENCE;
                case DUPLICATE_SEQUENCE -> ErrorCode.DUPLICATE_SEQUENCE;
                case MIXED_DUPLICATES -> ErrorCode.INVALID_REQUEST;
            };
            return StrataError.exception(reason, "produce to " + where + ": " + e.getMessage() + "; nothing was written");
        }
        if (failure instanceof OffsetOutOfRangeException e) {
            return StrataError.exception(ErrorCode.OFFSET_OUT_OF_RANGE, where + ": " + e.getMessage());
        }
        if (failure instanceof LogStorageException e) {
            LOG.errorf(e, "storage error on %s", where);
            return StrataError.exception(ErrorCode.STORAGE_ERROR, "storage error on " + where + ": " + e.getMessage()
                    + "; the partition is offline on this node");
        }
        LOG.errorf(failure, "unexpected failure on %s", where);
        return StrataError.exception(ErrorCode.INTERNAL_ERROR, "internal error on " + where + ": " + failure);
    }

    static StatusRuntimeException invalidRequest(String message) {
        return StrataError.exception(ErrorCode.INVALID_REQUEST, message);
    }
}
