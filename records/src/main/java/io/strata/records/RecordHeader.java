package io.strata.records;

import java.util.Arrays;
import java.util.Objects;

/**
 * One application header of a record: a non-null key, stored as UTF-8, and a value that may
 * be null. Equality compares the value's bytes, not the array's identity.
 */
public record RecordHeader(String key, byte[] value) {

    public RecordHeader {
        Objects.requireNonNull(key, "header key");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RecordHeader other && key.equals(other.key) && Arrays.equals(value, other.value);
    }

    @Override
    public int hashCode() {
        return 31 * key.hashCode() + Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return "RecordHeader[key=" + key + ", value=" + (value == null ? "null" : value.length + " bytes") + "]";
    }
}
