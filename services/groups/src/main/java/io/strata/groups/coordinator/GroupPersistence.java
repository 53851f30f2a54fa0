package io.strata.groups.coordinator;

import io.strata.proto.v1.GroupRecord;
import io.strata.proto.v1.OffsetCommit;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Where the coordinator makes its state durable (coordination's group RPCs, fenced by the
 * election term, in the service; a recording fake in unit tests). Each future completes once
 * the write is stored, or fails (a {@link GroupException} with NOT_COORDINATOR when this
 * instance was deposed; anything else when the store could not be reached).
 */
public interface GroupPersistence {

    /** Replaces the group's record. */
    CompletableFuture<Void> putRecord(GroupRecord record);

    /** Stores committed offsets (commit_timestamp_ms already set). */
    CompletableFuture<Void> storeOffsets(String groupId, List<OffsetCommit> offsets);

    /** Deletes the group's record and every committed offset. */
    CompletableFuture<Void> deleteGroup(String groupId);
}
