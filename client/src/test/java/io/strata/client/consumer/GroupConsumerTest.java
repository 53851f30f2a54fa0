package io.strata.client.consumer;

import io.strata.client.StrataException;
import io.strata.client.TopicPartition;
import io.strata.client.serialization.StringDeserializer;
import io.strata.client.testing.FakeStrata;
import io.strata.proto.StrataError;
import io.strata.proto.v1.CommitOffsetsRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.GroupHeartbeatRequest;
import io.strata.records.Compression;
import io.strata.records.RecordBatchBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The consumer in group mode against a scripted groups coordinator ({@link ScriptedGroups}) and
 * a fake storage node: membership, the handoff to the poll thread, commits, leaving.
 */
@Timeout(60)
class GroupConsumerTest {

    private static final TopicPartition T0 = new TopicPartition("t", 0);
    private static final TopicPartition T1 = new TopicPartition("t", 1);
    private static final TopicPartition T2 = new TopicPartition("t", 2);
    /** An interval no test waits for: a heartbeat after an answer carrying it was sent on demand. */
    private static final int NEVER_MS = 3_600_000;

    private FakeStrata fake;
    private ScriptedGroups groups;
    private final Thread testThread = Thread.currentThread();

    @BeforeEach
    void start() throws Exception {
        fake = new FakeStrata().topic("t", 3);
        groups = new ScriptedGroups(fake);
    }

    @AfterEach
    void stop() throws Exception {
        groups.close();
        fake.close();
    }

    private StrataConsumer<String, String> consumer(Map<String, Object> extra) {
        Map<String, Object> config = new HashMap<>();
        config.put("bootstrap.servers", groups.bootstrap());
        config.put("group.id", "g");
        config.put("client.id", "test-client");
        config.put("retry.backoff.ms", 10);
        config.put("fetch.max.wait.ms", 50);
        config.put("auto.offset.reset", "earliest");
        config.putAll(extra);
        return new StrataConsumer<>(config, new StringDeserializer(), new StringDeserializer());
    }

    private void append(TopicPartition tp, String prefix, int count) {
        RecordBatchBuilder b = new RecordBatchBuilder(Compression.NONE, 1024);
        for (int i = 0; i < count; i++) {
            b.append(1000 + i, null, (prefix + "-" + i).getBytes(StandardCharsets.UTF_8), List.of());
        }
        fake.append(tp, b.build());
    }

    /** Polls (50 ms at a time) until {@code done}; fails after 10 s. */
    private static void pollUntil(StrataConsumer<String, String> c, BooleanSupplier done) {
        pollUntil(c, new ArrayList<>(), done);
    }

    /** As {@link #pollUntil(StrataConsumer, BooleanSupplier)}, adding the records polled to {@code sink}. */
    private static void pollUntil(StrataConsumer<String, String> c, List<ConsumerRecord<String, String>> sink,
                                  BooleanSupplier done) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 10 s");
            }
            sink.addAll(c.poll(Duration.ofMillis(50)));
        }
    }

    /** Records every callback with the thread it ran on. */
    private final class Listener implements ConsumerRebalanceListener {
        final List<String> events = new CopyOnWriteArrayList<>();
        final List<Thread> threads = new CopyOnWriteArrayList<>();
        Consumer<Collection<TopicPartition>> onRevoked = p -> { };
        Consumer<Collection<TopicPartition>> onLost = p -> { };

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            threads.add(Thread.currentThread());
            events.add("revoked " + partitions);
            onRevoked.accept(partitions);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            threads.add(Thread.currentThread());
            events.add("assigned " + partitions);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            threads.add(Thread.currentThread());
            events.add("lost " + partitions);
            onLost.accept(partitions);
        }
    }

    /** Joins as m1 at epoch 1 with {@code assigned}; later heartbeats keep the epoch. */
    private void assignOnJoin(Set<TopicPartition> assigned, int intervalMs) {
        groups.script = r -> r.getMemberEpoch() == 0
                ? ScriptedGroups.answer("m1", 1, intervalMs, assigned)
                : ScriptedGroups.answer("m1", Math.max(1, r.getMemberEpoch()), intervalMs, null);
    }

    @Test
    void aSubscribedConsumerReadsOnlyItsAssignedPartitionFromTheCommittedOffset() throws Exception {
        append(T0, "p0", 5);
        append(T1, "p1", 3);
        groups.committed.put(T0, 2L);
        assignOnJoin(Set.of(T0), 50);
        Listener listener = new Listener();
        try (var c = consumer(Map.of())) {
            c.subscribe(List.of("t"), listener);
            GroupHeartbeatRequest join = groups.awaitHeartbeat(r -> true);
            assertThat(join.getMemberEpoch()).isZero();
            assertThat(join.getSubscribedTopicNamesList()).containsExactly("t");
            assertThat(join.getClientId()).isEqualTo("test-client");

            List<ConsumerRecord<String, String>> records = new ArrayList<>();
            pollUntil(c, records, () -> records.size() >= 3);
            for (int i = 0; i < 3; i++) {
                records.addAll(c.poll(Duration.ofMillis(50)));
            }

            assertThat(records).extracting(ConsumerRecord::partition).containsOnly(0);
            assertThat(records).extracting(ConsumerRecord::offset).containsExactly(2L, 3L, 4L);
            assertThat(listener.events).containsExactly("assigned [t-0]");
            assertThat(listener.threads).containsOnly(testThread);
            assertThat(c.subscription()).containsExactly("t");
            assertThat(c.groupMetadata()).isEqualTo(new ConsumerGroupMetadata("g", 1, "m1", java.util.Optional.empty()));
        }
    }

    @Test
    void aRevocationRunsOnThePollThreadIsAcknowledgedAtOnceAndPrecedesTheNewPartitions() throws Exception {
        AtomicBoolean revoke = new AtomicBoolean();
        AtomicBoolean revocationSent = new AtomicBoolean();
        AtomicReference<GroupHeartbeatRequest> firstAfterRevocation = new AtomicReference<>();
        AtomicInteger commitsBeforeAck = new AtomicInteger(-1);
        groups.script = r -> {
            Set<TopicPartition> owned = ScriptedGroups.owned(r);
            if (r.getMemberEpoch() == 0) {
                return ScriptedGroups.answer("m1", 1, 50, Set.of(T0, T1));
            }
            if (revocationSent.get()) {
                firstAfterRevocation.compareAndSet(null, r);
            }
            if (r.getMemberEpoch() == 1 && owned.equals(Set.of(T0)) && revocationSent.get()) {
                commitsBeforeAck.compareAndSet(-1, groups.commits().size());
                return ScriptedGroups.answer("m1", 2, 50, Set.of(T0, T2)); // T1 released: the new epoch adds T2
            }
            if (r.getMemberEpoch() == 1 && owned.equals(Set.of(T0, T1)) && revoke.get() && !revocationSent.get()) {
                revocationSent.set(true);
                // Same epoch, without T1. The interval is an hour: only an acknowledgement sent at
                // once can bring the next heartbeat within the test's bounded wait.
                return ScriptedGroups.answer("m1", 1, NEVER_MS, Set.of(T0));
            }
            return ScriptedGroups.answer("m1", r.getMemberEpoch(), 50, null);
        };
        Listener listener = new Listener();
        try (var c = consumer(Map.of())) {
            listener.onRevoked = p -> c.commitSync(Map.of(T1, new OffsetAndMetadata(7)));
            c.subscribe(List.of("t"), listener);
            pollUntil(c, () -> c.assignment().equals(Set.of(T0, T1)));
            groups.awaitHeartbeat(r -> ScriptedGroups.owned(r).equals(Set.of(T0, T1)));

            revoke.set(true);
            pollUntil(c, () -> c.assignment().equals(Set.of(T0, T2)));

            assertThat(listener.events).containsExactly("assigned [t-0, t-1]", "revoked [t-1]", "assigned [t-2]");
            assertThat(listener.threads).containsOnly(testThread);
            assertThat(firstAfterRevocation.get().getMemberEpoch()).isEqualTo(1);
            assertThat(ScriptedGroups.owned(firstAfterRevocation.get())).containsExactly(T0);
            CommitOffsetsRequest commit = groups.commits().get(0);
            assertThat(commit.getMemberId()).isEqualTo("m1");
            assertThat(commit.getMemberEpoch()).as("the pre-revocation epoch").isEqualTo(1);
            assertThat(commit.getOffsets(0).getPartition()).isEqualTo(1);
            assertThat(commitsBeforeAck.get()).as("the commit in onPartitionsRevoked precedes the acknowledgement").isEqualTo(1);
            assertThat(groups.committed).containsEntry(T1, 7L);
        }
    }

    @Test
    void aFencedMemberLosesItsPartitionsWithoutCommittingAndRejoinsWithEpochZero() {
        AtomicBoolean fence = new AtomicBoolean();
        AtomicInteger joins = new AtomicInteger();
        groups.script = r -> {
            if (r.getMemberEpoch() == 0) {
                return joins.incrementAndGet() == 1 ? ScriptedGroups.answer("m1", 1, 50, Set.of(T0))
                        : ScriptedGroups.answer("m2", 5, 50, Set.of(T0));
            }
            if (fence.get() && r.getMemberId().equals("m1")) {
                throw StrataError.exception(ErrorCode.FENCED_MEMBER_EPOCH, "fenced");
            }
            return ScriptedGroups.answer(r.getMemberId(), r.getMemberEpoch(), 50, null);
        };
        Listener listener = new Listener();
        List<Exception> commitFailures = new CopyOnWriteArrayList<>();
        try (var c = consumer(Map.of())) {
            listener.onLost = p -> {
                try {
                    c.commitSync(Map.of(T0, new OffsetAndMetadata(1)));
                } catch (CommitFailedException e) {
                    commitFailures.add(e);
                }
            };
            c.subscribe(List.of("t"), listener);
            pollUntil(c, () -> c.assignment().equals(Set.of(T0)));

            fence.set(true);
            pollUntil(c, () -> listener.events.size() == 3);

            assertThat(listener.events).containsExactly("assigned [t-0]", "lost [t-0]", "assigned [t-0]");
            assertThat(listener.threads).containsOnly(testThread);
            assertThat(commitFailures).hasSize(1);
            assertThat(groups.commits()).as("no commit reached the coordinator").isEmpty();
            List<GroupHeartbeatRequest> joinRequests = groups.heartbeats.stream().filter(r -> r.getMemberEpoch() == 0).toList();
            assertThat(joinRequests).hasSize(2).allSatisfy(r -> assertThat(r.getMemberId()).isEmpty());
            assertThat(c.groupMetadata().memberId()).isEqualTo("m2");
            assertThat(c.groupMetadata().memberEpoch()).isEqualTo(5);
        }
    }

    @Test
    void aStandbysNotCoordinatorNamingTheActiveInstanceSendsTheNextCallThere() throws Exception {
        groups.observeStandby();
        assignOnJoin(Set.of(T0), 50);
        try (var c = consumer(Map.of())) {
            c.subscribe(List.of("t"));
            pollUntil(c, () -> c.assignment().equals(Set.of(T0)));
            c.commitSync(Map.of(T0, new OffsetAndMetadata(1)));

            assertThat(groups.standbyCalls.get()).as("only the first call went to the standby").isEqualTo(1);
            assertThat(groups.heartbeats.peek().getMemberEpoch()).as("the join reached the active instance").isZero();
            assertThat(groups.committed).containsEntry(T0, 1L);
        }
    }

    @Test
    void closeRevokesAndLeavesWithEpochMinusOne() throws Exception {
        assignOnJoin(Set.of(T0), 50);
        Listener listener = new Listener();
        var c = consumer(Map.of());
        c.subscribe(List.of("t"), listener);
        pollUntil(c, () -> c.assignment().equals(Set.of(T0)));

        c.close();

        GroupHeartbeatRequest leave = groups.awaitHeartbeat(r -> r.getMemberEpoch() < 0);
        assertThat(leave.getMemberEpoch()).isEqualTo(-1);
        assertThat(leave.getMemberId()).isEqualTo("m1");
        assertThat(listener.events).containsExactly("assigned [t-0]", "revoked [t-0]");
        assertThat(groups.commits()).as("close commits nothing without auto-commit").isEmpty();
    }

    @Test
    void closeOfAStaticMemberLeavesTemporarilyWithEpochMinusTwo() throws Exception {
        assignOnJoin(Set.of(T0), 50);
        var c = consumer(Map.of("group.instance.id", "instance-1"));
        c.subscribe(List.of("t"));
        pollUntil(c, () -> c.assignment().equals(Set.of(T0)));

        c.close();

        GroupHeartbeatRequest leave = groups.awaitHeartbeat(r -> r.getMemberEpoch() < 0);
        assertThat(leave.getMemberEpoch()).isEqualTo(-2);
        assertThat(leave.getInstanceId()).isEqualTo("instance-1");
    }

    @Test
    void unsubscribeRevokesLeavesWithMinusOneAndAllowsAssign() throws Exception {
        assignOnJoin(Set.of(T0), 50);
        Listener listener = new Listener();
        try (var c = consumer(Map.of())) {
            c.subscribe(List.of("t"), listener);
            pollUntil(c, () -> c.assignment().equals(Set.of(T0)));

            c.unsubscribe();

            assertThat(groups.awaitHeartbeat(r -> r.getMemberEpoch() < 0).getMemberEpoch()).isEqualTo(-1);
            assertThat(listener.events).containsExactly("assigned [t-0]", "revoked [t-0]");
            assertThat(c.assignment()).isEmpty();
            assertThat(c.subscription()).isEmpty();
            c.assign(List.of(T1));
            assertThat(c.assignment()).containsExactly(T1);
        }
    }

    @Test
    void aCommitRefusedForAStaleEpochIsRepeatedWithTheEpochOfTheNextHeartbeat() {
        AtomicInteger serverEpoch = new AtomicInteger(1);
        groups.script = r -> r.getMemberEpoch() == 0
                ? ScriptedGroups.answer("m1", 1, NEVER_MS, Set.of(T0))
                : ScriptedGroups.answer("m1", serverEpoch.get(), NEVER_MS, null);
        groups.commitCheck = r -> {
            if (r.getMemberEpoch() < 2) {
                serverEpoch.set(2); // the member's assignment moved on since it last heard
                return ErrorCode.STALE_MEMBER_EPOCH;
            }
            return null;
        };
        try (var c = consumer(Map.of())) {
            c.subscribe(List.of("t"));
            pollUntil(c, () -> c.assignment().equals(Set.of(T0)));

            c.commitSync(Map.of(T0, new OffsetAndMetadata(3, "meta")));

            // Refused at epoch 1 (more than once if the commit overtook the answer to a heartbeat in
            // flight), then stored with the epoch the next heartbeat brought.
            List<Integer> epochs = groups.commits().stream().map(CommitOffsetsRequest::getMemberEpoch).toList();
            assertThat(epochs).startsWith(1).endsWith(2).containsOnly(1, 2);
            assertThat(groups.committed).containsEntry(T0, 3L);
            assertThat(c.committed(Set.of(T0, T1))).containsEntry(T0, new OffsetAndMetadata(3, "")).containsEntry(T1, null);
        }
    }

    @Test
    void commitAsyncCallbacksRunOnThePollThreadAndReportAFencedMember() {
        assignOnJoin(Set.of(T0), 50);
        groups.commitCheck = r -> r.getOffsets(0).getOffset() == 99 ? ErrorCode.FENCED_MEMBER_EPOCH : null;
        List<String> outcomes = new CopyOnWriteArrayList<>();
        List<Thread> threads = new CopyOnWriteArrayList<>();
        OffsetCommitCallback callback = (offsets, e) -> {
            threads.add(Thread.currentThread());
            outcomes.add(offsets.get(T0).offset() + ":" + (e == null ? "ok" : e.getClass().getSimpleName()));
        };
        try (var c = consumer(Map.of())) {
            c.subscribe(List.of("t"));
            pollUntil(c, () -> c.assignment().equals(Set.of(T0)));

            c.commitAsync(Map.of(T0, new OffsetAndMetadata(4)), callback);
            c.commitAsync(Map.of(T0, new OffsetAndMetadata(99)), callback);
            pollUntil(c, () -> outcomes.size() == 2);

            // In commit order. The second commit merges into the first when that has not started
            // yet: then both callers learn the merged request's outcome (4 was not committed either).
            assertThat(outcomes).hasSize(2);
            assertThat(outcomes.get(0)).isIn("4:ok", "4:CommitFailedException");
            assertThat(outcomes.get(1)).isEqualTo("99:CommitFailedException");
            assertThat(threads).containsOnly(testThread);
        }
    }

    @Test
    void inAssignModeAGroupStartsFromCommittedOffsetsAndCommitsOutsideGroupManagement() {
        append(T0, "p0", 5);
        groups.committed.put(T0, 2L);
        try (var c = consumer(Map.of())) {
            c.assign(List.of(T0));
            List<ConsumerRecord<String, String>> records = new ArrayList<>();
            pollUntil(c, records, () -> records.size() >= 3);

            c.commitSync();

            assertThat(records).extracting(ConsumerRecord::offset).containsExactly(2L, 3L, 4L);
            CommitOffsetsRequest commit = groups.commits().get(0);
            assertThat(commit.getMemberId()).isEmpty();
            assertThat(commit.getMemberEpoch()).isEqualTo(-1);
            assertThat(groups.committed).containsEntry(T0, 5L);
            assertThat(groups.heartbeats).as("assign() never joins").isEmpty();
        }
    }

    @Test
    void aPatternSubscriptionIsSentAsARegexAndAPollWithoutPartitionsJustWaits() throws Exception {
        groups.script = r -> ScriptedGroups.answer("m1", 1, 50, r.getMemberEpoch() == 0 ? Set.of() : null);
        Listener listener = new Listener();
        try (var c = consumer(Map.of())) {
            c.subscribe(Pattern.compile("t|u"), listener);
            GroupHeartbeatRequest join = groups.awaitHeartbeat(r -> true);
            assertThat(join.getSubscribedTopicRegex()).isEqualTo("t|u");

            pollUntil(c, () -> !listener.events.isEmpty());

            assertThat(listener.events).containsExactly("assigned []");
            assertThat(c.poll(Duration.ofMillis(20))).isEmpty();
        }
    }

    @Test
    void subscribeAndAssignAreMutuallyExclusiveAndSubscribeNeedsAGroup() {
        assignOnJoin(Set.of(T0), 50);
        try (var c = consumer(Map.of())) {
            c.assign(List.of(T0));
            assertThatThrownBy(() -> c.subscribe(List.of("t"))).isInstanceOf(IllegalStateException.class);
            c.assign(List.of());
            c.subscribe(List.of("t"));
            assertThatThrownBy(() -> c.assign(List.of(T1))).isInstanceOf(IllegalStateException.class);
        }
        Map<String, Object> noGroup = new HashMap<>(Map.of("bootstrap.servers", groups.bootstrap()));
        try (var c = new StrataConsumer<>(noGroup, new StringDeserializer(), new StringDeserializer())) {
            assertThatThrownBy(() -> c.subscribe(List.of("t"))).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(c::commitSync).isInstanceOf(IllegalStateException.class);
        }
    }

    /** Polls for {@code ms} (or until a poll throws), returning what it threw, or null. */
    private static StrataException pollFor(StrataConsumer<String, String> c, long ms) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        while (System.nanoTime() < deadline) {
            try {
                c.poll(Duration.ofMillis(20));
            } catch (StrataException e) {
                return e;
            }
        }
        return null;
    }

    /**
     * After the fence: every poll throws it, and within 30 heartbeat intervals no join is sent (nor
     * anything else, once a heartbeat that may have been in flight at the fence arrived).
     */
    private void assertFencedForGood(StrataConsumer<String, String> c, StrataException first) throws InterruptedException {
        long start = System.nanoTime();
        int sent = -1;
        while (System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(1_500)) {
            assertThatThrownBy(() -> c.poll(Duration.ofMillis(20))).as("poll keeps throwing")
                    .isInstanceOfSatisfying(StrataException.class,
                            e -> assertThat(e.reason()).isEqualTo(ErrorCode.FENCED_INSTANCE_ID));
            if (sent < 0 && System.nanoTime() - start > TimeUnit.MILLISECONDS.toNanos(500)) {
                sent = groups.heartbeats.size();
            }
            Thread.sleep(20); // time for the heartbeat thread to rejoin, were it to (interval 50 ms)
        }
        assertThat(groups.heartbeats).as("nothing sent after the fence").hasSize(sent);
        assertThat(groups.heartbeats).filteredOn(r -> r.getMemberEpoch() == 0).as("joined once, never rejoined").hasSize(1);
        assertThat(c.assignment()).isEmpty();
        assertThat(first.getMessage()).contains("another process uses group.instance.id 'instance-1'");
    }

    @Test
    void aFencedInstanceIdOnAHeartbeatLosesThePartitionsFailsThePollAndNeverRejoins() throws Exception {
        AtomicBoolean replaced = new AtomicBoolean();
        groups.script = r -> {
            if (replaced.get()) {
                throw StrataError.exception(ErrorCode.FENCED_INSTANCE_ID, "instance-1 was taken by member m9");
            }
            return r.getMemberEpoch() == 0 ? ScriptedGroups.answer("m1", 1, 50, Set.of(T0))
                    : ScriptedGroups.answer("m1", 1, 50, null);
        };
        Listener listener = new Listener();
        var c = consumer(Map.of("group.instance.id", "instance-1"));
        c.subscribe(List.of("t"), listener);
        pollUntil(c, () -> c.assignment().equals(Set.of(T0)));

        replaced.set(true);
        StrataException fenced = pollFor(c, 10_000);

        assertThat(fenced).isNotNull();
        assertThat(fenced.reason()).isEqualTo(ErrorCode.FENCED_INSTANCE_ID);
        assertThat(fenced.retriable()).isFalse();
        assertThat(listener.events).containsExactly("assigned [t-0]", "lost [t-0]");
        assertThat(listener.threads).containsOnly(testThread);
        assertFencedForGood(c, fenced);
        assertThatThrownBy(() -> c.commitSync(Map.of(T0, new OffsetAndMetadata(1))))
                .isInstanceOfSatisfying(CommitFailedException.class,
                        e -> assertThat(e.reason()).isEqualTo(ErrorCode.FENCED_INSTANCE_ID));
        assertThat(groups.commits()).isEmpty();

        c.close();
        assertThat(groups.heartbeats).as("no join, and no leave for the replaced member id")
                .allSatisfy(r -> assertThat(r.getMemberEpoch()).isNotNegative())
                .filteredOn(r -> r.getMemberEpoch() == 0).hasSize(1);
    }

    @Test
    void aFencedInstanceIdOnACommitFailsItThenThePollLosesThePartitionsAndThrows() throws Exception {
        groups.script = r -> r.getMemberEpoch() == 0 ? ScriptedGroups.answer("m1", 1, 50, Set.of(T0))
                : ScriptedGroups.answer("m1", 1, 50, null);
        groups.commitCheck = r -> ErrorCode.FENCED_INSTANCE_ID;
        Listener listener = new Listener();
        try (var c = consumer(Map.of("group.instance.id", "instance-1"))) {
            c.subscribe(List.of("t"), listener);
            pollUntil(c, () -> c.assignment().equals(Set.of(T0)));

            assertThatThrownBy(() -> c.commitSync(Map.of(T0, new OffsetAndMetadata(3))))
                    .isInstanceOfSatisfying(CommitFailedException.class, e -> {
                        assertThat(e.reason()).isEqualTo(ErrorCode.FENCED_INSTANCE_ID);
                        assertThat(e.getMessage()).contains("group.instance.id 'instance-1'");
                    });
            StrataException fenced = pollFor(c, 10_000);

            assertThat(fenced).isNotNull();
            assertThat(fenced.reason()).isEqualTo(ErrorCode.FENCED_INSTANCE_ID);
            assertThat(listener.events).containsExactly("assigned [t-0]", "lost [t-0]");
            assertFencedForGood(c, fenced);
        }
    }

    @Test
    void autoCommitCommitsThePositionsPeriodically() {
        append(T0, "p0", 5);
        assignOnJoin(Set.of(T0), 50);
        try (var c = consumer(Map.of("enable.auto.commit", true, "auto.commit.interval.ms", 20))) {
            c.subscribe(List.of("t"));
            List<ConsumerRecord<String, String>> records = new ArrayList<>();
            pollUntil(c, records, () -> Long.valueOf(5).equals(groups.committed.get(T0)));
            assertThat(records).hasSize(5);
            assertThat(groups.commits()).allSatisfy(r -> assertThat(r.getMemberId()).isEqualTo("m1"));
        }
    }

    @Test
    void withAutoCommitCloseCommitsThePositionsBeforeLeaving() throws Exception {
        append(T0, "p0", 5);
        assignOnJoin(Set.of(T0), 50);
        var c = consumer(Map.of("enable.auto.commit", true, "auto.commit.interval.ms", NEVER_MS));
        c.subscribe(List.of("t"));
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        pollUntil(c, records, () -> records.size() == 5);
        assertThat(groups.commits()).isEmpty();

        c.close();

        assertThat(groups.commits()).singleElement().satisfies(r -> {
            assertThat(r.getMemberEpoch()).isEqualTo(1);
            assertThat(r.getOffsets(0).getOffset()).isEqualTo(5);
        });
        assertThat(groups.awaitHeartbeat(r -> r.getMemberEpoch() < 0).getMemberEpoch()).isEqualTo(-1);
    }
}
