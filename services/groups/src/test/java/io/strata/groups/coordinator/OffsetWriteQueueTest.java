package io.strata.groups.coordinator;

import io.strata.groups.assignor.TopicPartition;
import io.strata.proto.v1.CommitOffsetsRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.OffsetCommit;
import io.strata.proto.v1.ResetOffsetsRequest;
import io.strata.proto.v1.ResetOffsetsResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static io.strata.groups.coordinator.Fixture.GROUP;
import static io.strata.groups.coordinator.Fixture.await;
import static io.strata.groups.coordinator.Fixture.error;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The per-group offset write queue ({@link OffsetWriter}): one store write of a group in flight,
 * commits accepted meanwhile merged into the next write (newest per partition), each commit
 * answered by the write carrying it; the store never goes back to an older offset.
 */
@Timeout(60)
class OffsetWriteQueueTest {

    private final Fixture f = new Fixture().topic("t", 4);

    private static OffsetCommit offset(int partition, long offset) {
        return offset("t", partition, offset);
    }

    private static OffsetCommit offset(String topic, int partition, long offset) {
        return OffsetCommit.newBuilder().setTopic(topic).setPartition(partition).setOffset(offset).build();
    }

    /** A commit outside group management (member "" and epoch -1). */
    private CompletableFuture<Void> commit(String groupId, OffsetCommit... offsets) {
        return f.coordinator.commitOffsets(CommitOffsetsRequest.newBuilder().setGroupId(groupId).setMemberEpoch(-1)
                .addAllOffsets(List.of(offsets)).build());
    }

    private CompletableFuture<Void> commit(OffsetCommit... offsets) {
        return commit(GROUP, offsets);
    }

    private long committed(int partition) {
        return f.coordinator.fetchOffsets(GROUP, List.of(new TopicPartition("t", partition))).getFirst().getOffset();
    }

    /** partition → offset of one store write. */
    private static Map<String, Long> offsets(RecordingPersistence.Store store) {
        Map<String, Long> offsets = new LinkedHashMap<>();
        for (OffsetCommit commit : store.offsets()) {
            Long earlier = offsets.put(commit.getTopic() + "-" + commit.getPartition(), commit.getOffset());
            assertThat(earlier).as("a partition twice in one write: %s", store.offsets()).isNull();
        }
        return offsets;
    }

    @Test
    void commitsArrivingWhileAWriteIsInFlightShareOneNextWriteHoldingTheNewestOffsetPerPartition() {
        f.persistence.manualStores = true;
        CompletableFuture<Void> first = commit(offset(0, 10));
        assertThat(f.persistence.stores()).hasSize(1);

        CompletableFuture<Void> b = commit(offset(0, 11), offset(1, 5));
        CompletableFuture<Void> c = commit(offset(2, 7));
        CompletableFuture<Void> d = commit(offset(0, 12), offset(1, 6));
        assertThat(f.persistence.stores()).as("one write of the group in flight").hasSize(1);

        f.persistence.stores().getFirst().future().complete(null);
        await(first);
        assertThat(List.of(b, c, d)).as("not before the write carrying them").noneMatch(CompletableFuture::isDone);
        assertThat(committed(0)).isEqualTo(10);
        assertThat(f.persistence.stores()).as("exactly one more write").hasSize(2);
        assertThat(offsets(f.persistence.stores().get(1))).containsExactlyInAnyOrderEntriesOf(
                Map.of("t-0", 12L, "t-1", 6L, "t-2", 7L));

        f.persistence.stores().get(1).future().complete(null);
        await(b);
        await(c);
        await(d);
        assertThat(List.of(committed(0), committed(1), committed(2), committed(3))).containsExactly(12L, 6L, 7L, -1L);
        assertThat(f.persistence.stores()).hasSize(2);
    }

    @Test
    void aFailedWriteFailsExactlyTheCommitsMergedInItAndThePreviousOffsetsStay() {
        await(commit(offset(0, 5), offset(1, 5)));
        f.persistence.manualStores = true;
        CompletableFuture<Void> inFlight = commit(offset(0, 6));
        CompletableFuture<Void> merged1 = commit(offset(0, 7));
        CompletableFuture<Void> merged2 = commit(offset(1, 8));
        f.persistence.pendingStores().getFirst().future().complete(null);
        await(inFlight);
        RecordingPersistence.Store failing = f.persistence.pendingStores().getFirst();
        assertThat(offsets(failing)).containsExactlyInAnyOrderEntriesOf(Map.of("t-0", 7L, "t-1", 8L));
        CompletableFuture<Void> queuedBehind = commit(offset(1, 9));

        RuntimeException down = new RuntimeException("store down");
        failing.future().completeExceptionally(down);

        assertThat(merged1.exceptionNow()).isSameAs(down);
        assertThat(merged2.exceptionNow()).isSameAs(down);
        assertThat(queuedBehind).as("not in the failed write").isNotDone();
        assertThat(committed(0)).isEqualTo(6);
        assertThat(committed(1)).isEqualTo(5);
        assertThat(f.persistence.storedOffsets(GROUP)).extractingByKeys(new TopicPartition("t", 0), new TopicPartition("t", 1))
                .extracting(OffsetCommit::getOffset).containsExactly(6L, 5L);

        RecordingPersistence.Store next = f.persistence.pendingStores().getFirst();
        assertThat(offsets(next)).as("the commit queued behind the failed write, alone")
                .containsExactlyEntriesOf(Map.of("t-1", 9L));
        next.future().complete(null);
        await(queuedBehind);
        f.persistence.manualStores = false;
        await(commit(offset(0, 10)));
        assertThat(committed(0)).isEqualTo(10);
        assertThat(committed(1)).isEqualTo(9);
    }

    @Test
    void aRefusedCommitIsAnsweredAtOnceWhileAWriteIsInFlightAndIsNotWritten() {
        Client a = f.client("t");
        a.join();
        f.persistence.manualStores = true;
        CompletableFuture<Void> accepted = f.coordinator.commitOffsets(CommitOffsetsRequest.newBuilder().setGroupId(GROUP)
                .setMemberId(a.memberId).setMemberEpoch(a.epoch).addOffsets(offset(0, 3)).build());

        CompletableFuture<Void> fenced = f.coordinator.commitOffsets(CommitOffsetsRequest.newBuilder().setGroupId(GROUP)
                .setMemberId(a.memberId).setMemberEpoch(a.epoch + 1).addOffsets(offset(0, 99)).build());

        assertThat(error(fenced).code()).isEqualTo(ErrorCode.FENCED_MEMBER_EPOCH);
        f.persistence.pendingStores().getFirst().future().complete(null);
        await(accepted);
        assertThat(f.persistence.stores()).hasSize(1);
        assertThat(committed(0)).isEqualTo(3);
    }

    @Test
    void aWriteHoldsAtMost127PartitionsSoEveryCommitThatFitsOneTransactionStaysInOne() {
        f.topic("big", 300);
        f.persistence.manualStores = true;
        CompletableFuture<Void> first = commit(offset("big", 0, 1));
        List<CompletableFuture<Void>> queued = List.of(
                commit(range(0, 100, 2)),     // 100 partitions
                commit(range(100, 127, 2)),   // +27 = 127: fits with the one before
                commit(range(127, 129, 2)),   // +2 would be 129: the write after
                commit(range(0, 200, 3)));    // more than a write holds: alone
        List<Integer> sizes = new ArrayList<>();
        List<RecordingPersistence.Store> pending;
        while (!(pending = f.persistence.pendingStores()).isEmpty()) {
            sizes.add(pending.getFirst().offsets().size());
            pending.getFirst().future().complete(null);
        }
        await(first);
        queued.forEach(Fixture::await);
        assertThat(sizes).containsExactly(1, 127, 2, 200);
        assertThat(f.persistence.mostStoresInFlight()).isEqualTo(1);
    }

    private static OffsetCommit[] range(int from, int to, long offset) {
        return IntStream.range(from, to).mapToObj(p -> offset("big", p, offset)).toArray(OffsetCommit[]::new);
    }

    @Test
    void writesOfOneGroupDoNotWaitForAnotherGroups() {
        f.persistence.manualStores = true;
        CompletableFuture<Void> mine = commit(offset(0, 1));
        CompletableFuture<Void> other = commit("other-group", offset(0, 1));
        assertThat(f.persistence.pendingStores()).extracting(RecordingPersistence.Store::groupId)
                .containsExactly(GROUP, "other-group");
        f.persistence.pendingStores().get(1).future().complete(null);
        await(other);
        assertThat(mine).isNotDone();
    }

    @Test
    void anExecutedResetQueuesBehindTheWriteInFlightAndIsWrittenNext() {
        for (int p = 0; p < 4; p++) {
            f.offsets.set("t", p, 0, 100);
        }
        f.persistence.manualStores = true;
        CompletableFuture<Void> commit = commit(offset(0, 5));
        CompletableFuture<ResetOffsetsResponse> reset = f.coordinator.resetOffsets(ResetOffsetsRequest.newBuilder()
                .setGroupId(GROUP).setTopic("t").setToOffset(30).setExecute(true).build());
        assertThat(reset).isNotDone();
        assertThat(f.persistence.stores()).hasSize(1);

        f.persistence.stores().getFirst().future().complete(null);
        await(commit);
        assertThat(reset).isNotDone();
        assertThat(offsets(f.persistence.stores().get(1))).containsExactlyInAnyOrderEntriesOf(
                Map.of("t-0", 30L, "t-1", 30L, "t-2", 30L, "t-3", 30L));
        f.persistence.stores().get(1).future().complete(null);
        assertThat(await(reset).getOffsetsCount()).isEqualTo(4);
        assertThat(committed(0)).isEqualTo(30);
    }

    @Test
    void deletingAGroupWaitsForItsQueuedCommitsToBeWritten() {
        f.persistence.manualStores = true;
        CompletableFuture<Void> inFlight = commit(offset(0, 1));
        CompletableFuture<Void> queued = commit(offset(1, 2));

        CompletableFuture<Void> deleted = f.coordinator.deleteGroup(GROUP);
        CompletableFuture<Void> afterDeletion = commit(offset(2, 3));
        f.persistence.stores().getFirst().future().complete(null);
        await(inFlight);
        assertThat(f.persistence.deletes()).as("a commit accepted before the deletion is still queued").isEmpty();
        assertThat(offsets(f.persistence.stores().get(1))).as("the queued commit is written; the later one waits")
                .containsExactlyEntriesOf(Map.of("t-1", 2L));

        f.persistence.stores().get(1).future().complete(null);
        await(queued);
        await(deleted);
        assertThat(f.persistence.deletes()).hasSize(1);
        assertThat(f.persistence.stores()).as("the later commit goes to the fresh group, after the deletion").hasSize(3);
        f.persistence.stores().get(2).future().complete(null);
        await(afterDeletion);
        assertThat(f.coordinator.fetchOffsets(GROUP, List.of())).extracting(OffsetCommit::getPartition).containsExactly(2);
        assertThat(f.persistence.storedOffsets(GROUP)).containsOnlyKeys(new TopicPartition("t", 2));
    }

    /**
     * Random interleavings of commits (each of a partition's offsets higher than the last), store
     * completions and store failures: the store receives each partition's offsets only rising, one
     * write at a time; what it holds is always what the coordinator answers (what a standby would
     * load); and what it holds is each partition's newest commit that succeeded.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 42, 2024, 77_777})
    void theStoreNeverReceivesAnOlderOffsetForAPartitionAfterANewerOne(long seed) {
        Random random = new Random(seed);
        f.persistence.manualStores = true;
        long[] next = new long[4];
        Map<CompletableFuture<Void>, Map<Integer, Long>> commits = new LinkedHashMap<>();
        int failures = 0;
        for (int step = 0; step < 3000; step++) {
            int op = random.nextInt(100);
            List<RecordingPersistence.Store> pending = f.persistence.pendingStores();
            if (op < 55) {
                Map<Integer, Long> chosen = new LinkedHashMap<>();
                for (int n = 1 + random.nextInt(3); n > 0; n--) {
                    int partition = random.nextInt(4);
                    chosen.putIfAbsent(partition, ++next[partition]);
                }
                OffsetCommit[] offsets = chosen.entrySet().stream().map(e -> offset(e.getKey(), e.getValue()))
                        .toArray(OffsetCommit[]::new);
                commits.put(commit(offsets), chosen);
            } else if (op < 92 && !pending.isEmpty()) {
                pending.getFirst().future().complete(null);
            } else if (!pending.isEmpty()) {
                failures++;
                pending.getFirst().future().completeExceptionally(new RuntimeException("store down"));
            }
            assertThat(f.persistence.pendingStores()).as("step %d (seed %d)", step, seed).hasSizeLessThanOrEqualTo(1);
            assertThat(stored()).as("the store against the cache, step %d (seed %d)", step, seed).isEqualTo(cached());
        }
        List<RecordingPersistence.Store> pending;
        while (!(pending = f.persistence.pendingStores()).isEmpty()) {
            pending.getFirst().future().complete(null);
        }

        Map<String, Long> received = new HashMap<>();
        for (RecordingPersistence.Store store : f.persistence.stores()) {
            offsets(store).forEach((partition, offset) -> {
                Long before = received.put(partition, offset);
                assertThat(offset).as("%s after %s (seed %d)", partition, before, seed).isGreaterThan(before == null ? 0 : before);
            });
        }
        Map<Integer, Long> newestSucceeded = new HashMap<>();
        commits.forEach((future, chosen) -> {
            assertThat(future).isDone();
            if (!future.isCompletedExceptionally()) {
                chosen.forEach((partition, offset) -> newestSucceeded.merge(partition, offset, Math::max));
            }
        });
        assertThat(cached()).isEqualTo(stored());
        assertThat(cached()).isEqualTo(newestSucceeded);
        assertThat(f.persistence.mostStoresInFlight()).isEqualTo(1);
        assertThat(f.persistence.stores().size()).as("commits were merged").isLessThan(commits.size());
        System.out.printf("seed %d: %d commits in %d writes (%d failed)%n", seed, commits.size(),
                f.persistence.stores().size(), failures);
    }

    private Map<Integer, Long> stored() {
        return f.persistence.storedOffsets(GROUP).entrySet().stream()
                .collect(Collectors.toMap(e -> e.getKey().partition(), e -> e.getValue().getOffset()));
    }

    private Map<Integer, Long> cached() {
        return f.coordinator.fetchOffsets(GROUP, List.of()).stream()
                .collect(Collectors.toMap(OffsetCommit::getPartition, OffsetCommit::getOffset));
    }

    /**
     * Threads commit the same partitions while the store completes writes on its own threads:
     * each partition's offsets reach the store in the order the commits were accepted, one write
     * of the group at a time. Prints how many writes carried the commits (no timing asserted).
     */
    @Test
    void commitsFromManyThreadsReachTheStoreInTheOrderTheyWereAccepted() throws Exception {
        ExecutorService store = Executors.newFixedThreadPool(2);
        ExecutorService committers = Executors.newFixedThreadPool(8);
        f.persistence.completer = store;
        long[] next = new long[4];
        Object acceptance = new Object();
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int thread = t;
                running.add(committers.submit(() -> {
                    for (int i = 0; i < 200; i++) {
                        int partition = (thread + i) % 4;
                        CompletableFuture<Void> stored;
                        synchronized (acceptance) { // offsets rise in the order commitOffsets accepts them
                            stored = commit(offset(partition, ++next[partition]));
                        }
                        await(stored);
                    }
                    return null;
                }));
            }
            for (Future<?> future : running) {
                future.get();
            }
        } finally {
            committers.shutdownNow();
            store.shutdownNow();
        }
        Map<String, Long> received = new HashMap<>();
        for (RecordingPersistence.Store s : f.persistence.stores()) {
            offsets(s).forEach((partition, offset) -> {
                Long before = received.put(partition, offset);
                assertThat(offset).as("%s after %s", partition, before).isGreaterThan(before == null ? 0 : before);
            });
        }
        assertThat(f.persistence.mostStoresInFlight()).isEqualTo(1);
        for (int p = 0; p < 4; p++) {
            assertThat(committed(p)).isEqualTo(next[p]);
        }
        System.out.printf("1600 commits from 8 threads in %d writes%n", f.persistence.stores().size());
    }
}
