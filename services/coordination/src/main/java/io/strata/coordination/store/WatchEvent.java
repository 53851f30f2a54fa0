package io.strata.coordination.store;

import java.util.Objects;

/**
 * One change seen by a watch.
 *
 * @param type     PUT or DELETE
 * @param kv       for PUT the key as written; for DELETE only the key, an empty value, and
 *                 {@code modRevision} = the deletion's revision (other fields 0), as in etcd
 * @param revision the revision of the change
 */
public record WatchEvent(Type type, KeyValue kv, long revision) {

    public enum Type { PUT, DELETE }

    public WatchEvent {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(kv, "kv");
    }

    public String key() {
        return kv.key();
    }

    static WatchEvent put(KeyValue kv) {
        return new WatchEvent(Type.PUT, kv, kv.modRevision());
    }

    static WatchEvent delete(String key, long revision) {
        return new WatchEvent(Type.DELETE, new KeyValue(key, null, 0, revision, 0, 0), revision);
    }
}
