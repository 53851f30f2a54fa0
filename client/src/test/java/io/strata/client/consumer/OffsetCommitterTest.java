package io.strata.client.consumer;

import io.strata.client.StrataException;
import io.strata.client.TopicPartition;
import io.strata.client.internal.Backoff;
import io.strata.proto.v1.Assignment;
import io.strata.proto.v1.CommitOffsetsRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.FetchOffsetsRequest;
import io.strata.proto.v1.FetchOffsetsResponse;
import io.strata.proto.v1.GroupHeartbeatRequest;
import io.strata.proto.v1.GroupHeartbeatResponse;
import io.strata.proto.v1.OffsetCommit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

/**
 * The offsets thread on its own, over an in-memory {@link GroupTransport} whose first commit can
 * be held until the test has queued the operations behind it.
 */
@Timeout(10)
class OffsetCommitterTest {

    private static final TopicPartition T0 = new TopicPartition("t", 0);
    private static final TopicPartition T1 = new TopicPartition("t", 1);
    private static final long LONG_AGO = 0;

    private final FakeTransport transport = new FakeTransport();
    private final OffsetCommitter committer = new OffsetCommitter("g", member(), transport, new Backoff(1, 1),
            1_000, Clock.systemUTC(), "test-offsets");

    @AfterEach
    void close() {
        transport.release.countDown();
        committer.close(5_000);
    }

    /** A member in the group at epoch 1, so that group-managed commits have an identity. */
    private static MembershipManager member() {
        MembershipManager m = new MembershipManager("g", Optional.empty(), "c", "", 300_000, 10_000, "uniform",
                new Backoff(100, 1_000), () -> { });
        m.subscribe(MembershipManager.Subscription.of(List.of("t")), 0);
        m.pollStarted(0);
        GroupHeartbeatRequest join = m.pollHeartbeat(0);
        m.onResponse(join, GroupHeartbeatResponse.newBuilder().setMemberId("m1").setMemberEpoch(1)
                .setHeartbeatIntervalMs(1_000).setAssignment(Assignment.newBuilder()
                        .addAllPartitions(MembershipManager.toWire(Set.of(T0, T1)))).build(), 0);
        MembershipManager.Change c = m.takeChange();
        m.reconciled(c, c.target(), 0);
        assertThat(m.identity()).isPresent();
        return m;
    }

    private static long deadline() {
        return System.currentTimeMillis() + 5_000;
    }

    private static Map<TopicPartition, Long> offsets(CommitOffsetsRequest r) {
        return r.getOffsetsList().stream().collect(Collectors.toMap(
                c -> new TopicPartition(c.getTopic(), c.getPartition()), OffsetCommit::getOffset));
    }

    /** Commits {0 -> 1} and waits until its request is held in the transport. */
    private CompletableFuture<Void> firstCommitHeld(boolean groupManaged) throws InterruptedException {
        CompletableFuture<Void> first = committer.commit(Map.of(T0, new OffsetAndMetadata(1)), groupManaged, deadline());
        assertThat(transport.held.await(5, TimeUnit.SECONDS)).as("the first commit reached the transport").isTrue();
        return first;
    }

    @Test
    void commitsQueuedBehindARunningOneAreSentAsOneRequestWithTheNewestOffsetPerPartition() throws Exception {
        CompletableFuture<Void> first = firstCommitHeld(true);
        List<CompletableFuture<Void>> queued = new ArrayList<>();
        for (int i = 2; i <= 50; i++) {
            queued.add(committer.commit(Map.of(T0, new OffsetAndMetadata(i, "m" + i)), true, deadline()));
            if (i <= 10) {
                queued.add(committer.commit(Map.of(T1, new OffsetAndMetadata(100 + i)), true, deadline()));
            }
        }

        transport.release.countDown();
        first.get(5, TimeUnit.SECONDS);
        CompletableFuture.allOf(queued.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);

        List<CommitOffsetsRequest> commits = transport.commits();
        assertThat(commits).hasSize(2);
        assertThat(offsets(commits.get(1))).isEqualTo(Map.of(T0, 50L, T1, 110L));
        assertThat(commits.get(1).getOffsetsList()).filteredOn(c -> c.getPartition() == 0)
                .extracting(OffsetCommit::getMetadata).containsExactly("m50");
        assertThat(commits.get(1).getMemberId()).isEqualTo("m1");
        assertThat(transport.committed).isEqualTo(Map.of(T0, 50L, T1, 110L));
    }

    @Test
    void aCommittedOffsetReadIsABarrierThatSeesTheCommitBeforeItAndNothingMergesAcrossIt() throws Exception {
        CompletableFuture<Void> first = firstCommitHeld(true);
        CompletableFuture<Void> before = committer.commit(Map.of(T0, new OffsetAndMetadata(2)), true, deadline());
        CompletableFuture<Map<TopicPartition, OffsetAndMetadata>> read = committer.fetchCommitted(List.of(T0), deadline());
        CompletableFuture<Void> after = committer.commit(Map.of(T0, new OffsetAndMetadata(3)), true, deadline());

        transport.release.countDown();
        CompletableFuture.allOf(first, before, read, after).get(5, TimeUnit.SECONDS);

        assertThat(read.get().get(T0)).isEqualTo(new OffsetAndMetadata(2));
        assertThat(transport.commits()).extracting(r -> offsets(r).get(T0)).containsExactly(1L, 2L, 3L);
        assertThat(transport.committed).containsEntry(T0, 3L);
    }

    @Test
    void aFailedMergedRequestFailsEveryMergedCallerWithTheSameException() throws Exception {
        CompletableFuture<Void> first = firstCommitHeld(true);
        transport.commitCheck = r -> r.getOffsetsList().get(0).getOffset() == 1 ? null : ErrorCode.FENCED_MEMBER_EPOCH;
        List<CompletableFuture<Void>> merged = new ArrayList<>();
        for (int i = 2; i <= 5; i++) {
            merged.add(committer.commit(Map.of(T0, new OffsetAndMetadata(i)), true, deadline()));
        }

        transport.release.countDown();
        first.get(5, TimeUnit.SECONDS);

        List<Throwable> failures = new ArrayList<>();
        for (CompletableFuture<Void> f : merged) {
            assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(CommitFailedException.class);
            f.handle((r, e) -> failures.add(e)).get();
        }
        assertThat(failures).as("one request failed, one exception for all").hasSize(4)
                .allSatisfy(e -> assertThat(e).isSameAs(failures.get(0)));
        assertThat(transport.commits()).hasSize(2);
        assertThat(transport.committed).containsEntry(T0, 1L);
    }

    @Test
    void theCallersOfAMergedCommitCompleteInCommitOrder() throws Exception {
        CompletableFuture<Void> first = firstCommitHeld(true);
        List<Integer> completed = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<CompletableFuture<Void>> merged = new ArrayList<>();
        for (int i = 2; i <= 6; i++) {
            int offset = i;
            merged.add(committer.commit(Map.of(T0, new OffsetAndMetadata(i)), true, deadline())
                    .whenComplete((r, e) -> completed.add(offset)));
        }

        transport.release.countDown();
        CompletableFuture.allOf(merged.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
        first.get(5, TimeUnit.SECONDS);

        assertThat(transport.commits()).hasSize(2);
        assertThat(completed).containsExactly(2, 3, 4, 5, 6);
    }

    @Test
    void groupManagedCommitsAndCommitsOutsideGroupManagementAreNotMerged() throws Exception {
        CompletableFuture<Void> first = firstCommitHeld(true);
        CompletableFuture<Void> outside = committer.commit(Map.of(T0, new OffsetAndMetadata(2)), false, deadline());
        CompletableFuture<Void> member = committer.commit(Map.of(T1, new OffsetAndMetadata(3)), true, deadline());
        CompletableFuture<Void> outsideAgain = committer.commit(Map.of(T1, new OffsetAndMetadata(4)), false, deadline());

        transport.release.countDown();
        CompletableFuture.allOf(first, outside, member, outsideAgain).get(5, TimeUnit.SECONDS);

        assertThat(transport.commits()).extracting(CommitOffsetsRequest::getMemberId, CommitOffsetsRequest::getMemberEpoch)
                .containsExactly(tuple("m1", 1), tuple("", -1), tuple("m1", 1), tuple("", -1));
        assertThat(transport.commits()).extracting(OffsetCommitterTest::offsets)
                .containsExactly(Map.of(T0, 1L), Map.of(T0, 2L), Map.of(T1, 3L), Map.of(T1, 4L));
    }

    @Test
    void aMergedCommitRunsUntilTheLatestDeadlineOfItsCallers() throws Exception {
        CompletableFuture<Void> first = firstCommitHeld(true);
        CompletableFuture<Void> expired = committer.commit(Map.of(T0, new OffsetAndMetadata(2)), true, LONG_AGO);
        CompletableFuture<Void> current = committer.commit(Map.of(T0, new OffsetAndMetadata(3)), true, deadline());

        transport.release.countDown();
        CompletableFuture.allOf(first, expired, current).get(5, TimeUnit.SECONDS);

        assertThat(transport.commits()).extracting(r -> offsets(r).get(T0)).containsExactly(1L, 3L);
    }

    @Test
    void closeFailsEveryCallerOfAMergedCommitThatNeverRan() throws Exception {
        firstCommitHeld(true);
        CompletableFuture<Void> a = committer.commit(Map.of(T0, new OffsetAndMetadata(2)), true, deadline());
        CompletableFuture<Void> b = committer.commit(Map.of(T0, new OffsetAndMetadata(3)), true, deadline());

        committer.close(0);

        for (CompletableFuture<Void> f : List.of(a, b)) {
            assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).cause()
                    .isInstanceOfSatisfying(StrataException.class, e -> assertThat(e.reasonName()).isEqualTo("CLOSED"));
        }
        assertThatThrownBy(() -> committer.commit(Map.of(T0, new OffsetAndMetadata(4)), true, deadline())
                .get(5, TimeUnit.SECONDS)).cause().isInstanceOf(StrataException.class);
    }

    /** Stores commits in memory; holds the first commit until {@link #release}. */
    private static final class FakeTransport implements GroupTransport {
        final CountDownLatch held = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final Map<TopicPartition, Long> committed = new ConcurrentHashMap<>();
        /** The reason to refuse a commit with, or {@code null} to store it. */
        volatile Function<CommitOffsetsRequest, ErrorCode> commitCheck = r -> null;
        private final List<CommitOffsetsRequest> commits = new ArrayList<>();

        synchronized List<CommitOffsetsRequest> commits() {
            return List.copyOf(commits);
        }

        @Override
        public GroupHeartbeatResponse heartbeat(GroupHeartbeatRequest request, long timeoutMs) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void commitOffsets(CommitOffsetsRequest request, long timeoutMs) {
            synchronized (this) {
                commits.add(request);
            }
            if (held.getCount() > 0) {
                held.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new StrataException(ErrorCode.ERROR_CODE_UNSPECIFIED, "interrupted");
                }
            }
            ErrorCode refusal = commitCheck.apply(request);
            if (refusal != null) {
                throw new StrataException(refusal, "refused: " + refusal);
            }
            for (OffsetCommit c : request.getOffsetsList()) {
                committed.put(new TopicPartition(c.getTopic(), c.getPartition()), c.getOffset());
            }
        }

        @Override
        public FetchOffsetsResponse fetchOffsets(FetchOffsetsRequest request, long timeoutMs) {
            FetchOffsetsResponse.Builder b = FetchOffsetsResponse.newBuilder();
            for (io.strata.proto.v1.TopicPartition tp : request.getPartitionsList()) {
                Long offset = committed.get(new TopicPartition(tp.getTopic(), tp.getPartition()));
                b.addOffsets(OffsetCommit.newBuilder().setTopic(tp.getTopic()).setPartition(tp.getPartition())
                        .setOffset(offset == null ? -1 : offset));
            }
            return b.build();
        }
    }
}
