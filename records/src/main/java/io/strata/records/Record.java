package io.strata.records;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One decoded record: its absolute offset and timestamp (epoch ms), key and value (either may
 * be null) and headers (never null; an immutable list). Equality compares key and value bytes.
 * The arrays are not copied: treat them as read-only.
 */
public record Record(long offset, long timestamp, byte[] key, byte[] value, List<RecordHeader> headers) {

    public Record {
        // List.copyOf returns an already-immutable list as is, so decoding does not copy twice.
        headers = headers == null ? List.of() : List.copyOf(headers);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Record other
                && offset == other.offset
                && timestamp == other.timestamp
                && Arrays.equals(key, other.key)
                && Arrays.equals(value, other.value)
                && headers.equals(other.headers);
    }

    @Override
    public int hashCode() {
        return Objects.hash(offset, timestamp, Arrays.hashCode(key), Arrays.hashCode(value), headers);
    }

    @Override
    public String toString() {
        return "Record[offset=" + offset + ", timestamp=" + timestamp
                + ", key=" + (key == null ? "null" : key.length + " bytes")
                + ", value=" + (value == null ? "null" : value.length + " bytes")
                + ", headers=" + headers + "]";
    }
}
