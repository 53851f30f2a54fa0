package io.strata.coordination.nodes;

import io.strata.proto.v1.NodeRecord;

import java.time.Duration;

/**
 * A node's live registration, as its session holds it.
 *
 * @param key         {@code nodes/<role>/<id>}
 * @param leaseId     the session lease the key is bound to
 * @param ttl         the lease's time-to-live
 * @param record      what the key holds
 * @param modRevision the key's revision after this session's last write (for compare-and-set)
 */
public record Registration(String key, long leaseId, Duration ttl, NodeRecord record, long modRevision) {
}
