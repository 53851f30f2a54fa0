package io.strata.ingestion.spool;

import io.strata.client.TopicPartition;

/**
 * Where one spooled batch lies and what the forwarder needs to know about it without reading it.
 *
 * @param entryId     the entry's place in the spool: entries are numbered from 0 in append order,
 *                    and a segment file is named by the id of its first entry
 * @param segmentBase the id of the first entry of the segment holding it
 * @param position    the frame's byte position in that segment file
 * @param frameSize   the frame's size (length and CRC fields included)
 * @param partition   where the batch goes
 * @param recordCount  records in the batch
 * @param lastSequence the sequence of the batch's last record
 */
record SpoolEntryRef(long entryId, long segmentBase, long position, int frameSize, TopicPartition partition,
                     int recordCount, int lastSequence) {
}
