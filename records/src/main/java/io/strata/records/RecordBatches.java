package io.strata.records;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Reads the records of a sequence of batches (each laid out as in {@link RecordBatch}).
 *
 * <p>The records section of a batch holds {@code recordCount} records, each (Kafka v2):
 * <pre>
 * length          varint   bytes of the rest of the record
 * attributes      int8     0 (unused)
 * timestampDelta  varlong  timestamp - batch baseTimestamp
 * offsetDelta     varint   offset - batch baseOffset; the record's index in the batch
 * keyLength       varint   -1 for a null key
 * key             bytes
 * valueLength     varint   -1 for a null value
 * value           bytes
 * headerCount     varint
 * headers         per header: keyLength varint, key UTF-8, valueLength varint (-1 null), value
 * </pre>
 * Varints are zigzag-encoded ({@link Varints}). In an LZ4 batch the section is an int32
 * uncompressed size followed by one LZ4 block holding the records above.
 *
 * <p>Every batch read is checked as {@link BatchValidator} does (CRC included), without a
 * record size limit. Stateless and thread-safe; the caller's buffer is not modified or moved.
 */
public final class RecordBatches {

    private RecordBatches() {
    }

    /**
     * Decodes every record of every whole batch in [position, limit), in order, with absolute
     * offsets and timestamps. A partial batch at the end (as a fetch may return) is ignored.
     *
     * @throws InvalidBatchException if a whole batch is invalid or corrupt
     */
    public static List<Record> decode(ByteBuffer batches) {
        List<Record> records = new ArrayList<>();
        forEachRecord(batches, records::add);
        return records;
    }

    /**
     * Like {@link #decode} but hands each record to {@code action} as it is read. If a batch
     * turns out invalid, the exception is thrown after the records before the failure point
     * (possibly including some of that batch's) have been handed over.
     */
    public static void forEachRecord(ByteBuffer batches, Consumer<Record> action) {
        if (action == null) {
            throw new NullPointerException("action");
        }
        new BatchReader(false, Integer.MAX_VALUE, action).readAll(batches);
    }
}
