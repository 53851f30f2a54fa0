package io.strata.records;

import java.nio.ByteBuffer;

/**
 * What a partition leader checks before appending a producer's batches. Everything is checked,
 * nothing is changed: the buffer's content, position and limit are left as they were, so a
 * rejected request has no side effect.
 *
 * <p>For each batch, in order (the first failure is thrown):
 * <ol>
 *   <li>at least 61 header bytes, and {@code batchLength} in [49, bytes remaining - 12]
 *       (else {@link InvalidBatchException}, "truncated batch ...");</li>
 *   <li>magic 2 ({@link InvalidBatchException});</li>
 *   <li>CRC32C over [attributes, end) ({@link CorruptBatchException}); checked before anything
 *       inside the CRC is interpreted, and before decompressing;</li>
 *   <li>attributes: only compression and timestamp-type bits, codec none or lz4
 *       ({@link InvalidBatchException});</li>
 *   <li>recordCount at least 1 and lastOffsetDelta = recordCount - 1
 *       ({@link InvalidBatchException});</li>
 *   <li>producer fields: a producerId other than -1 must be >= 0 and come with a producerEpoch
 *       and a baseSequence >= 0 ({@link InvalidBatchException});</li>
 *   <li>LZ4: size prefix in [0, 128 MiB], achievable by the block, and the block decompresses
 *       to exactly that many bytes ({@link InvalidBatchException});</li>
 *   <li>every record framed exactly (valid varints, lengths inside the record, offsetDelta =
 *       its index, record attributes 0, exactly recordCount records, no trailing bytes)
 *       ({@link InvalidBatchException}); each record's size (its length varint plus length),
 *       measured uncompressed, at most {@code maxRecordBytes}
 *       ({@link RecordTooLargeException});</li>
 *   <li>the maxTimestamp field equals the largest record timestamp, since the time index is
 *       built from it ({@link InvalidBatchException}).</li>
 * </ol>
 * Messages name the batch (0-based index in the buffer) and record, and give expected and
 * actual values. Stateless and thread-safe.
 */
public final class BatchValidator {

    /**
     * Summary of validated batches.
     *
     * @param batchCount     number of batches
     * @param recordCount    records across all batches
     * @param maxTimestamp   largest maxTimestamp of the batches
     * @param firstTimestamp timestamp of the first record of the first batch
     */
    public record ValidatedBatches(int batchCount, int recordCount, long maxTimestamp, long firstTimestamp) {
    }

    private BatchValidator() {
    }

    /**
     * Validates every batch in [position, limit) of {@code batches}, which must hold whole
     * batches only and at least one.
     *
     * @throws InvalidBatchException     for any structural problem, including a trailing partial batch
     * @throws CorruptBatchException     for a CRC mismatch
     * @throws RecordTooLargeException   for a record larger than {@code maxRecordBytes}
     */
    public static ValidatedBatches validate(ByteBuffer batches, int maxRecordBytes) {
        return new BatchReader(true, maxRecordBytes, null).readAll(batches);
    }
}
