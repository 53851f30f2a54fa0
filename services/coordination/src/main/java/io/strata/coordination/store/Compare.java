package io.strata.coordination.store;

import java.util.Objects;

/** A condition of a {@link MetadataStore#txn transaction}, on one key (etcd's {@code Compare}, EQUAL only). */
public sealed interface Compare {

    String key();

    /** The key's last change was at {@code revision} (compare-and-set). 0 never matches an existing key. */
    record ModRevision(String key, long revision) implements Compare {
        public ModRevision {
            Objects.requireNonNull(key, "key");
        }
    }

    /** The key was created at {@code revision}; 0 = the key does not exist. */
    record CreateRevision(String key, long revision) implements Compare {
        public CreateRevision {
            Objects.requireNonNull(key, "key");
        }
    }

    /** The key exists and holds exactly these bytes (false for an absent key, as in etcd). */
    record ValueEquals(String key, byte[] value) implements Compare {
        public ValueEquals {
            Objects.requireNonNull(key, "key");
            value = Objects.requireNonNull(value, "value").clone();
        }

        @Override
        public byte[] value() {
            return value.clone();
        }
    }

    /** The key does not exist (create-if-absent). */
    static Compare absent(String key) {
        return new CreateRevision(key, 0);
    }

    static Compare modRevision(String key, long revision) {
        return new ModRevision(key, revision);
    }

    static Compare createRevision(String key, long revision) {
        return new CreateRevision(key, revision);
    }

    static Compare valueEquals(String key, byte[] value) {
        return new ValueEquals(key, value);
    }
}
