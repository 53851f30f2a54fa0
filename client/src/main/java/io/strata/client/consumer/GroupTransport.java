package io.strata.client.consumer;

import io.strata.client.StrataException;
import io.strata.proto.v1.CommitOffsetsRequest;
import io.strata.proto.v1.FetchOffsetsRequest;
import io.strata.proto.v1.FetchOffsetsResponse;
import io.strata.proto.v1.GroupHeartbeatRequest;
import io.strata.proto.v1.GroupHeartbeatResponse;

/**
 * Blocking calls to the active groups coordinator. Each call is one attempt: retries are the
 * caller's decision ({@link GroupMembership} for heartbeats, {@link OffsetCommitter} for offsets).
 * An implementation locates the coordinator and follows its moves (a standby's
 * {@code NOT_COORDINATOR} naming the active instance makes that one the next call's target).
 * Thread-safe; called from the heartbeat thread and the offsets thread.
 */
interface GroupTransport {

    /** @throws StrataException the call's failure with the server's reason */
    GroupHeartbeatResponse heartbeat(GroupHeartbeatRequest request, long timeoutMs);

    /** @throws StrataException the call's failure with the server's reason */
    void commitOffsets(CommitOffsetsRequest request, long timeoutMs);

    /** @throws StrataException the call's failure with the server's reason */
    FetchOffsetsResponse fetchOffsets(FetchOffsetsRequest request, long timeoutMs);
}
