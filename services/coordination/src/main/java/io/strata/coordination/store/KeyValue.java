package io.strata.coordination.store;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * One key as stored, etcd's {@code mvccpb.KeyValue}.
 *
 * @param key            the key, relative to the store's root
 * @param value          the value; copied in and out, so callers may not change the store's copy
 * @param createRevision the revision that created the key (since its last deletion)
 * @param modRevision    the revision of the last change
 * @param version        puts since creation, starting at 1
 * @param leaseId        the lease the key is bound to, 0 for none
 */
public record KeyValue(String key, byte[] value, long createRevision, long modRevision, long version, long leaseId) {

    public KeyValue {
        Objects.requireNonNull(key, "key");
        value = value == null ? new byte[0] : value.clone();
    }

    /** A copy of the value. */
    @Override
    public byte[] value() {
        return value.clone();
    }

    /** The value as UTF-8 text (for keys that hold text). */
    public String valueAsString() {
        return new String(value, StandardCharsets.UTF_8);
    }

    int valueLength() {
        return value.length;
    }

    boolean valueEquals(byte[] other) {
        return Arrays.equals(value, other);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KeyValue kv && key.equals(kv.key) && Arrays.equals(value, kv.value)
                && createRevision == kv.createRevision && modRevision == kv.modRevision && version == kv.version
                && leaseId == kv.leaseId;
    }

    @Override
    public int hashCode() {
        return Objects.hash(key, Arrays.hashCode(value), createRevision, modRevision, version, leaseId);
    }

    @Override
    public String toString() {
        return "KeyValue[" + key + ", " + value.length + " bytes, create=" + createRevision + ", mod=" + modRevision
                + ", version=" + version + ", lease=" + leaseId + "]";
    }
}
