package io.strata.coordination.store;

import java.util.List;

/**
 * One committed transaction as the journal records it: the concrete changes (puts and
 * single-key deletes; delete-prefix already expanded), all at {@code revision}.
 */
record JournalEntry(long revision, List<Op> changes) {

    JournalEntry {
        changes = List.copyOf(changes);
        for (Op op : changes) {
            if (!(op instanceof Op.Put) && !(op instanceof Op.Delete)) {
                throw new IllegalArgumentException("a journal entry holds puts and deletes only, not " + op);
            }
        }
    }
}
