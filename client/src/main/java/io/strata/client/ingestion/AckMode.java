package io.strata.client.ingestion;

/**
 * When an ingestion instance answers a publish (docs/API.md, "Ack modes").
 */
public enum AckMode {
    /**
     * Once the log acknowledged each record per the publisher's {@code acks}: the outcome carries
     * the record's offset. The default.
     */
    COMMITTED,
    /**
     * Once the records are fsynced in the instance's on-disk spool: the outcome carries the
     * partition chosen and offset -1. The instance forwards them to the log itself, in order per
     * partition and exactly once, through storage outages and its own restarts; they are lost only
     * with that instance's disk. A full spool refuses the request ({@code BUFFER_EXHAUSTED}).
     */
    SPOOLED
}
