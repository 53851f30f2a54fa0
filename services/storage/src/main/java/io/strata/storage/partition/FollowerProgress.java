package io.strata.storage.partition;

/**
 * What a leader knows of one follower of a partition, learnt from its replica fetches (Kafka's
 * replica state): its log end offset and when it was last caught up with the leader's log end.
 * Guarded by the owning {@link HostedPartition}'s lock.
 */
final class FollowerProgress {

    /** Not known yet in this leader epoch: the follower has not fetched since the leader took over. */
    static final long UNKNOWN = -1;

    private long logEndOffset = UNKNOWN;
    private long lastCaughtUpMs;
    private long lastFetchMs;
    private long leaderEndAtLastFetch = UNKNOWN;

    /** @param nowMs a follower starts as caught up, so a new leader does not drop its ISR at once */
    FollowerProgress(long nowMs) {
        this.lastCaughtUpMs = nowMs;
        this.lastFetchMs = nowMs;
    }

    /**
     * A fetch from {@code fetchOffset} (the follower's log end) arrived while the leader's log ended at
     * {@code leaderEnd}. Kafka's rule: the follower is caught up now when it has the whole log, and was
     * caught up at its previous fetch when it now has everything the leader had then.
     */
    void onFetch(long fetchOffset, long leaderEnd, long nowMs) {
        if (fetchOffset >= leaderEnd) {
            lastCaughtUpMs = nowMs;
        } else if (leaderEndAtLastFetch != UNKNOWN && fetchOffset >= leaderEndAtLastFetch) {
            lastCaughtUpMs = Math.max(lastCaughtUpMs, lastFetchMs);
        }
        logEndOffset = fetchOffset;
        leaderEndAtLastFetch = leaderEnd;
        lastFetchMs = nowMs;
    }

    long logEndOffset() {
        return logEndOffset;
    }

    long lastCaughtUpMs() {
        return lastCaughtUpMs;
    }
}
