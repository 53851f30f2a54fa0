package io.strata.coordination.store;

import java.util.Objects;

/** A write in a {@link MetadataStore#txn transaction}. */
public sealed interface Op {

    /** Sets {@code key} to {@code value}, bound to {@code leaseId} (0 = no lease). */
    record Put(String key, byte[] value, long leaseId) implements Op {
        public Put {
            Objects.requireNonNull(key, "key");
            value = Objects.requireNonNull(value, "value").clone();
            if (leaseId < 0) {
                throw new IllegalArgumentException("lease id " + leaseId + " is negative");
            }
        }

        @Override
        public byte[] value() {
            return value.clone();
        }

        int valueLength() {
            return value.length;
        }
    }

    /** Deletes {@code key} (nothing happens when it is absent). */
    record Delete(String key) implements Op {
        public Delete {
            Objects.requireNonNull(key, "key");
        }
    }

    /** Deletes every key starting with {@code prefix}; {@code ""} deletes everything. */
    record DeletePrefix(String prefix) implements Op {
        public DeletePrefix {
            Objects.requireNonNull(prefix, "prefix");
        }
    }

    static Op put(String key, byte[] value) {
        return new Put(key, value, 0);
    }

    static Op put(String key, byte[] value, long leaseId) {
        return new Put(key, value, leaseId);
    }

    static Op delete(String key) {
        return new Delete(key);
    }

    static Op deletePrefix(String prefix) {
        return new DeletePrefix(prefix);
    }
}
