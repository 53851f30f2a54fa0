package io.strata.coordination.store;

import java.time.Duration;

/**
 * A granted lease.
 *
 * @param id  positive, unique among the store's live leases
 * @param ttl the time-to-live granted (may be longer than asked: implementations round up)
 */
public record Lease(long id, Duration ttl) {
}
