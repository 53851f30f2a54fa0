package io.strata.groups.coordinator;

import io.strata.proto.v1.GroupRecord;
import io.strata.proto.v1.OffsetCommit;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * A {@link GroupPersistence} that records every call. Futures complete at once unless the kind of
 * call is switched to manual, when the test completes or fails them by hand.
 */
final class RecordingPersistence implements GroupPersistence {

    record Put(GroupRecord record, CompletableFuture<Void> future) {
    }

    record Store(String groupId, List<OffsetCommit> offsets, CompletableFuture<Void> future) {
    }

    record Delete(String groupId, CompletableFuture<Void> future) {
    }

    private final List<Put> puts = new ArrayList<>();
    private final List<Store> stores = new ArrayList<>();
    private final List<Delete> deletes = new ArrayList<>();
    volatile boolean manualPuts;
    volatile boolean manualStores;
    volatile boolean manualDeletes;
    /** Sees every record written, before its future completes (the randomized test checks invariants there). */
    volatile Consumer<GroupRecord> onPut = record -> { };
    /** When set, automatic completions happen on it (another thread), as the real store's do. */
    volatile Executor completer;

    @Override
    public CompletableFuture<Void> putRecord(GroupRecord record) {
        onPut.accept(record);
        CompletableFuture<Void> future = new CompletableFuture<>();
        synchronized (this) {
            puts.add(new Put(record, future));
        }
        if (!manualPuts) {
            complete(future);
        }
        return future;
    }

    @Override
    public CompletableFuture<Void> storeOffsets(String groupId, List<OffsetCommit> offsets) {
        CompletableFuture<Void> future = new CompletableFuture<>();
        synchronized (this) {
            stores.add(new Store(groupId, List.copyOf(offsets), future));
        }
        if (!manualStores) {
            complete(future);
        }
        return future;
    }

    @Override
    public CompletableFuture<Void> deleteGroup(String groupId) {
        CompletableFuture<Void> future = new CompletableFuture<>();
        synchronized (this) {
            deletes.add(new Delete(groupId, future));
        }
        if (!manualDeletes) {
            complete(future);
        }
        return future;
    }

    private void complete(CompletableFuture<Void> future) {
        Executor executor = completer;
        if (executor == null) {
            future.complete(null);
        } else {
            executor.execute(() -> future.complete(null));
        }
    }

    synchronized List<Put> puts() {
        return List.copyOf(puts);
    }

    synchronized List<Put> puts(String groupId) {
        return puts.stream().filter(p -> p.record().getGroupId().equals(groupId)).toList();
    }

    synchronized List<Put> pendingPuts() {
        return puts.stream().filter(p -> !p.future().isDone()).toList();
    }

    /** The newest record written for the group (stored or in flight). */
    synchronized GroupRecord lastRecord(String groupId) {
        List<Put> mine = puts(groupId);
        return mine.isEmpty() ? null : mine.getLast().record();
    }

    synchronized List<Store> stores() {
        return List.copyOf(stores);
    }

    synchronized List<Delete> deletes() {
        return List.copyOf(deletes);
    }
}
