package io.strata.storage.log;

import java.nio.ByteBuffer;

/**
 * What one {@link PartitionLog#read} returned.
 *
 * @param batches        whole batches, exactly as stored, in a heap buffer at position 0 (empty when none)
 * @param nextOffset     offset after the last returned batch, or the requested offset when empty
 * @param logStartOffset the log start offset when the read started
 * @param logEndOffset   the log end offset when the read started
 */
public record LogReadResult(ByteBuffer batches, long nextOffset, long logStartOffset, long logEndOffset) {
}
