package io.strata.groups.coordinator;

import io.strata.groups.assignor.TopicPartition;
import io.strata.proto.v1.GroupRecord;
import io.strata.proto.v1.OffsetCommit;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * A {@link GroupPersistence} that records every call. Futures complete at once unless the kind of
 * call is switched to manual, when the test completes or fails them by hand. It also models the
 * store's offsets: a store lands when its future completes normally, a delete clears the group.
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
    /** group → partition → the offset the store holds (what a standby would load). */
    private final Map<String, Map<TopicPartition, OffsetCommit>> stored = new HashMap<>();
    private int mostStoresInFlight;
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
        List<OffsetCommit> copy = List.copyOf(offsets);
        synchronized (this) {
            long inFlight = stores.stream().filter(s -> s.groupId().equals(groupId) && !s.future().isDone()).count() + 1;
            mostStoresInFlight = Math.max(mostStoresInFlight, (int) inFlight);
            stores.add(new Store(groupId, copy, future));
        }
        // The coordinator hears of the write only once the modelled store holds it.
        CompletableFuture<Void> landed = future.whenComplete((ok, error) -> {
            if (error == null) {
                synchronized (this) {
                    Map<TopicPartition, OffsetCommit> group = stored.computeIfAbsent(groupId, g -> new HashMap<>());
                    copy.forEach(c -> group.put(new TopicPartition(c.getTopic(), c.getPartition()), c));
                }
            }
        });
        if (!manualStores) {
            complete(future);
        }
        return landed;
    }

    @Override
    public CompletableFuture<Void> deleteGroup(String groupId) {
        CompletableFuture<Void> future = new CompletableFuture<>();
        synchronized (this) {
            deletes.add(new Delete(groupId, future));
        }
        CompletableFuture<Void> landed = future.whenComplete((ok, error) -> {
            if (error == null) {
                synchronized (this) {
                    stored.remove(groupId);
                }
            }
        });
        if (!manualDeletes) {
            complete(future);
        }
        return landed;
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

    synchronized List<Store> pendingStores() {
        return stores.stream().filter(s -> !s.future().isDone()).toList();
    }

    /** The offsets the store holds for the group: every store that completed normally, in completion order. */
    synchronized Map<TopicPartition, OffsetCommit> storedOffsets(String groupId) {
        return Map.copyOf(stored.getOrDefault(groupId, Map.of()));
    }

    /** The most stores of one group that were ever in flight at once. */
    synchronized int mostStoresInFlight() {
        return mostStoresInFlight;
    }

    synchronized List<Delete> deletes() {
        return List.copyOf(deletes);
    }
}
