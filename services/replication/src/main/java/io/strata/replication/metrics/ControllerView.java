package io.strata.replication.metrics;

/** What the controller meters read when scraped ({@link ReplicationMetrics#bind}; the meters hold it strongly). */
interface ControllerView {

    /** Whether this instance is the active controller. */
    boolean active();

    /** The counts of the active term's newest snapshot; {@link ClusterCounts#NONE} on a standby. */
    ClusterCounts counts();

    /** Leader changes this instance has written. */
    long leaderChangesWritten();
}
