package io.strata.coordination.store;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The request rules of {@link MetadataStore} — etcd's default limits — checked in one place
 * before either implementation does any work, so a request the embedded store accepts is one
 * etcd accepts, and both refuse the same requests with the same
 * {@link IllegalArgumentException}.
 */
final class TxnRules {

    private TxnRules() {
    }

    /** Checks a range read of several prefixes (one etcd transaction of range reads). */
    static void checkPrefixes(Collection<String> prefixes) {
        Objects.requireNonNull(prefixes, "prefixes");
        if (prefixes.size() > MetadataStore.MAX_TXN_OPS) {
            throw new IllegalArgumentException("at most " + MetadataStore.MAX_TXN_OPS + " prefixes per read, not " + prefixes.size());
        }
        prefixes.forEach(KeyOrder::checkPrefix);
    }

    /**
     * Checks a transaction: at most {@value MetadataStore#MAX_TXN_OPS} compares and as many
     * ops, valid keys, values within {@value MetadataStore#MAX_VALUE_BYTES} bytes, at most
     * {@value MetadataStore#MAX_TXN_BYTES} bytes of keys and values in all, no key written
     * twice, no put inside a prefix the same transaction deletes.
     */
    static void checkTxn(List<Compare> compares, List<Op> ops) {
        Objects.requireNonNull(compares, "compares");
        Objects.requireNonNull(ops, "ops");
        if (compares.size() > MetadataStore.MAX_TXN_OPS || ops.size() > MetadataStore.MAX_TXN_OPS) {
            throw new IllegalArgumentException("a transaction holds at most " + MetadataStore.MAX_TXN_OPS + " compares and "
                    + MetadataStore.MAX_TXN_OPS + " ops; this one has " + compares.size() + " and " + ops.size() + ": split it");
        }
        long bytes = 0;
        for (Compare c : compares) {
            KeyOrder.checkKey(c.key());
            bytes += utf8Length(c.key());
            if (c instanceof Compare.ValueEquals v) {
                bytes += v.value().length;
            }
        }
        Set<String> written = new HashSet<>();
        for (Op op : ops) {
            if (op instanceof Op.Put put) {
                KeyOrder.checkKey(put.key());
                if (put.valueLength() > MetadataStore.MAX_VALUE_BYTES) {
                    throw new IllegalArgumentException("value of " + put.key() + " is " + put.valueLength()
                            + " bytes; the limit is " + MetadataStore.MAX_VALUE_BYTES);
                }
                if (!written.add(put.key())) {
                    throw new IllegalArgumentException("key " + put.key() + " is written twice in one transaction");
                }
                bytes += utf8Length(put.key()) + put.valueLength();
            }
        }
        for (Op op : ops) {
            if (op instanceof Op.Delete delete) {
                KeyOrder.checkKey(delete.key());
                if (written.contains(delete.key())) {
                    throw new IllegalArgumentException("key " + delete.key() + " is both put and deleted in one transaction");
                }
                bytes += utf8Length(delete.key());
            } else if (op instanceof Op.DeletePrefix dp) {
                KeyOrder.checkPrefix(dp.prefix());
                for (String key : written) {
                    if (key.startsWith(dp.prefix())) {
                        throw new IllegalArgumentException("key " + key + " is put inside prefix '" + dp.prefix()
                                + "' that the same transaction deletes");
                    }
                }
                bytes += utf8Length(dp.prefix());
            }
        }
        if (bytes > MetadataStore.MAX_TXN_BYTES) {
            throw new IllegalArgumentException("a transaction carries at most " + MetadataStore.MAX_TXN_BYTES
                    + " bytes of keys and values (etcd's request limit); this one has " + bytes + ": split it");
        }
    }

    private static int utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }
}
