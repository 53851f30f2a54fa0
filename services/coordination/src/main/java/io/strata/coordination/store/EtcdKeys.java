package io.strata.coordination.store;

import io.etcd.jetcd.ByteSequence;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * How {@link EtcdMetadataStore} names keys in etcd: store key {@code k} is etcd key
 * {@code <root>/k} (UTF-8), so a store only ever reads, writes, deletes and watches below
 * {@code <root>/}, and several clusters can share one etcd under different roots. Also turns
 * jetcd's key-values and watch events back into the store's types.
 */
final class EtcdKeys {

    private final String root;
    private final byte[] prefix;

    /** @param root like {@code /strata}: starts with '/', does not end with one */
    EtcdKeys(String root) {
        if (root == null || !root.startsWith("/") || root.endsWith("/")) {
            throw new IllegalArgumentException("the etcd root must look like /strata (a leading '/', no trailing '/'), not '"
                    + root + "'");
        }
        this.root = root;
        this.prefix = (root + "/").getBytes(StandardCharsets.UTF_8);
    }

    String root() {
        return root;
    }

    /** The etcd key of store key {@code key}. */
    ByteSequence key(String key) {
        return withRoot(key);
    }

    /** The etcd key range start of every store key starting with {@code prefix} ("" = the whole root). */
    ByteSequence prefix(String prefix) {
        return withRoot(prefix);
    }

    /** The store key of an etcd key below the root. */
    String storeKey(ByteSequence etcdKey) {
        byte[] bytes = etcdKey.getBytes();
        if (bytes.length < prefix.length || !Arrays.equals(bytes, 0, prefix.length, prefix, 0, prefix.length)) {
            throw new IllegalStateException("etcd key " + etcdKey.toString(StandardCharsets.UTF_8) + " is outside the root " + root);
        }
        return new String(bytes, prefix.length, bytes.length - prefix.length, StandardCharsets.UTF_8);
    }

    KeyValue keyValue(io.etcd.jetcd.KeyValue kv) {
        return new KeyValue(storeKey(kv.getKey()), kv.getValue().getBytes(), kv.getCreateRevision(), kv.getModRevision(),
                kv.getVersion(), kv.getLease());
    }

    /** The store's event for a jetcd one, or null for an event type this store does not know. */
    WatchEvent event(io.etcd.jetcd.watch.WatchEvent e) {
        io.etcd.jetcd.KeyValue kv = e.getKeyValue();
        return switch (e.getEventType()) {
            case PUT -> WatchEvent.put(keyValue(kv));
            case DELETE -> WatchEvent.delete(storeKey(kv.getKey()), kv.getModRevision());
            default -> null;
        };
    }

    private ByteSequence withRoot(String key) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        byte[] full = Arrays.copyOf(prefix, prefix.length + k.length);
        System.arraycopy(k, 0, full, prefix.length, k.length);
        return ByteSequence.from(full);
    }
}
