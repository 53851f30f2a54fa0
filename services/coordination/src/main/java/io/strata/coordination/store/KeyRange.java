package io.strata.coordination.store;

import java.util.List;

/**
 * The answer of a range read: the keys, sorted, and the store revision they were read at.
 * Start a watch at {@code revision + 1} to see every change after the read and none twice.
 */
public record KeyRange(List<KeyValue> kvs, long revision) {

    public KeyRange {
        kvs = List.copyOf(kvs);
    }
}
