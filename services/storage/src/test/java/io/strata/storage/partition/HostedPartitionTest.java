package io.strata.storage.partition;

import io.grpc.StatusRuntimeException;
import io.strata.proto.StrataError;
import io.strata.proto.v1.AlterIsrRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.PartitionState;
import io.strata.records.Compression;
import io.strata.records.RecordBatchBuilder;
import io.strata.runtime.testing.MutableClock;
import io.strata.storage.log.LogConfig;
import io.strata.storage.log.LogManager;
import io.strata.storage.log.PartitionLog;
import io.strata.storage.log.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HostedPartitionTest {

    private static final TopicPartition TP = new TopicPartition("orders", 0);

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(1_000_000);
    private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1);
    private final List<AlterIsrRequest> isrRequests = new ArrayList<>();
    private final List<Consumer<PartitionState>> isrAnswers = new ArrayList<>();
    private LogManager logs;
    private PartitionLog log;

    @BeforeEach
    void openLog() {
        logs = new LogManager(List.of(dir), clock, LogConfig.defaults(), LogManager.DEFAULT_PRODUCER_ID_EXPIRATION_MS, timer);
        logs.startup();
        log = logs.getOrCreateLog(TP, "topic-id", LogConfig.defaults());
    }

    @AfterEach
    void close() {
        logs.close();
        timer.shutdownNow();
    }

    private static PartitionState state(int leader, int epoch, int partitionEpoch, List<Integer> replicas, List<Integer> isr) {
        return PartitionState.newBuilder().setTopic(TP.topic()).setPartition(TP.partition()).setLeader(leader)
                .setLeaderEpoch(epoch).setPartitionEpoch(partitionEpoch).addAllReplicas(replicas).addAllIsr(isr).build();
    }

    private HostedPartition hosted(PartitionState state, int minInsync) {
        return new HostedPartition(TP, log, state, LogConfig.defaults(), minInsync, 1, clock, timer,
                (request, onApplied, onFailed) -> {
                    isrRequests.add(request);
                    isrAnswers.add(onApplied);
                });
    }

    /** Appends {@code records} records as the leader does; returns the offset after them. */
    private long append(HostedPartition p, int records) {
        RecordBatchBuilder b = new RecordBatchBuilder(Compression.NONE, 256);
        for (int i = 0; i < records; i++) {
            b.append(clock.millis(), null, ("v" + i).getBytes(StandardCharsets.UTF_8), List.of());
        }
        ByteBuffer batch = b.build();
        long last = log.append(batch, p.state().getLeaderEpoch()).lastOffset();
        p.onAppended();
        return last + 1;
    }

    @Test
    void singleReplicaCommitsEveryAppendAtOnce() {
        HostedPartition p = hosted(state(1, 0, 0, List.of(1), List.of(1)), 1);
        long end = append(p, 3);
        assertEquals(end, p.highWatermark());
    }

    @Test
    void highWatermarkIsTheSmallestLogEndOverTheIsr() {
        HostedPartition p = hosted(state(1, 0, 0, List.of(1, 2, 3), List.of(1, 2, 3)), 2);
        long end = append(p, 5);
        assertEquals(0, p.highWatermark(), "followers have not fetched in this epoch yet");
        p.onFollowerFetch(2, end);
        assertEquals(0, p.highWatermark(), "follower 3's log end is still unknown");
        p.onFollowerFetch(3, 2);
        assertEquals(2, p.highWatermark());
        p.onFollowerFetch(3, end);
        assertEquals(end, p.highWatermark());
    }

    @Test
    void acksAllIsAnsweredWhenTheIsrHasTheRecords() {
        HostedPartition p = hosted(state(1, 0, 0, List.of(1, 2), List.of(1, 2)), 1);
        long end = append(p, 2);
        AtomicReference<String> outcome = new AtomicReference<>();
        p.awaitCommitted(end, 30_000, () -> outcome.set("committed"), e -> outcome.set("failed " + e));
        assertNull(outcome.get());
        assertEquals(1, p.pendingAcks());
        p.onFollowerFetch(2, end);
        assertEquals("committed", outcome.get());
        assertEquals(0, p.pendingAcks());
    }

    @Test
    void acksAllTimesOutWhenAFollowerNeverFetches() throws Exception {
        HostedPartition p = hosted(state(1, 0, 0, List.of(1, 2), List.of(1, 2)), 1);
        long end = append(p, 1);
        AtomicReference<StatusRuntimeException> failure = new AtomicReference<>();
        p.awaitCommitted(end, 50, () -> { }, failure::set);
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (failure.get() == null && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(ErrorCode.REQUEST_TIMED_OUT, StrataError.reasonOf(failure.get()).orElseThrow());
        assertTrue(failure.get().getMessage().contains("may or may not be committed"), failure.get().getMessage());
    }

    @Test
    void losingLeadershipFailsTheWaitingAcksWithNotLeader() {
        HostedPartition p = hosted(state(1, 0, 0, List.of(1, 2), List.of(1, 2)), 1);
        long end = append(p, 1);
        AtomicReference<StatusRuntimeException> failure = new AtomicReference<>();
        p.awaitCommitted(end, 30_000, () -> { }, failure::set);
        p.update(state(2, 1, 1, List.of(1, 2), List.of(2)), LogConfig.defaults(), 1);
        assertEquals(ErrorCode.NOT_LEADER, StrataError.reasonOf(failure.get()).orElseThrow());
        assertThrows(StatusRuntimeException.class, () -> p.requireLeader(1, false, 0));
    }

    @Test
    void aLeaderOrEpochChangeWakesParkedFetchesSoTheyCheckLeadershipAgain() {
        HostedPartition p = hosted(state(1, 0, 0, List.of(1, 2), List.of(1, 2)), 1);
        AtomicInteger woken = new AtomicInteger();
        p.waiters().register(woken::incrementAndGet, p.waiters().signals());
        p.update(state(1, 0, 1, List.of(1, 2), List.of(1)), LogConfig.defaults(), 1);
        assertEquals(0, woken.get(), "an ISR change leaves the leader and its epoch as they were");
        p.update(state(1, 1, 2, List.of(1, 2), List.of(1)), LogConfig.defaults(), 1);
        assertEquals(1, woken.get(), "a new epoch of the same leader");
        p.waiters().register(woken::incrementAndGet, p.waiters().signals());
        p.update(state(2, 2, 3, List.of(1, 2), List.of(2)), LogConfig.defaults(), 1);
        assertEquals(2, woken.get(), "leadership moved away");
        assertThrows(StatusRuntimeException.class, () -> p.requireLeader(1, true, 1));
    }

    @Test
    void acksAllIsRefusedWhileTheIsrIsSmallerThanMinInsyncReplicas() {
        HostedPartition p = hosted(state(1, 0, 0, List.of(1, 2, 3), List.of(1)), 2);
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, p::requireEnoughReplicas);
        assertEquals(ErrorCode.NOT_ENOUGH_REPLICAS, StrataError.reasonOf(e).orElseThrow());
    }

    @Test
    void highWatermarkStaysWhileTheIsrIsBelowMinInsyncReplicas() {
        HostedPartition p = hosted(state(1, 0, 0, List.of(1, 2, 3), List.of(1)), 2);
        append(p, 4);
        assertEquals(0, p.highWatermark(), "records on one replica only are not committed (KIP-966)");
    }

    @Test
    void aCaughtUpFollowerIsProposedForTheIsrAndCountsAtOnce() {
        HostedPartition p = hosted(state(1, 0, 0, List.of(1, 2), List.of(1)), 1);
        long end = append(p, 3);
        assertEquals(end, p.highWatermark());
        p.onFollowerFetch(2, 1);
        assertTrue(isrRequests.isEmpty(), "behind the high watermark: not caught up");
        p.onFollowerFetch(2, end);
        assertEquals(1, isrRequests.size());
        AlterIsrRequest r = isrRequests.getFirst();
        assertEquals(List.of(1, 2), r.getNewIsrList());
        assertEquals(0, r.getLeaderEpoch());
        assertEquals(0, r.getPartitionEpoch());
        long more = append(p, 2);
        assertEquals(end, p.highWatermark(), "a member being added counts for the high watermark already");
        isrAnswers.getFirst().accept(state(1, 0, 1, List.of(1, 2), List.of(1, 2)));
        assertEquals(List.of(1, 2), p.state().getIsrList());
        p.onFollowerFetch(2, more);
        assertEquals(more, p.highWatermark());
    }

    @Test
    void aFollowerLaggingLongerThanTheLagTimeIsProposedForRemoval() {
        HostedPartition p = hosted(state(1, 0, 0, List.of(1, 2, 3), List.of(1, 2, 3)), 1);
        long end = append(p, 3);
        p.onFollowerFetch(2, end);
        p.onFollowerFetch(3, 0);
        clock.advance(10_001);
        p.onFollowerFetch(2, end);
        p.maybeShrinkIsr(10_000);
        assertEquals(1, isrRequests.size());
        assertEquals(List.of(1, 2), isrRequests.getFirst().getNewIsrList());
    }

    @Test
    void anOlderStateThanTheCurrentOneIsIgnored() {
        HostedPartition p = hosted(state(1, 3, 7, List.of(1, 2), List.of(1, 2)), 1);
        p.update(state(2, 2, 6, List.of(1, 2), List.of(2)), LogConfig.defaults(), 1);
        assertEquals(7, p.state().getPartitionEpoch());
        assertTrue(p.isLeader());
    }

    @Test
    void becomingLeaderRecordsTheEpochAtTheLogEnd() {
        HostedPartition p = hosted(state(1, 0, 0, List.of(1, 2), List.of(1)), 1);
        long end = append(p, 2);
        p.update(state(1, 4, 1, List.of(1, 2), List.of(1)), LogConfig.defaults(), 1);
        assertEquals(4, log.latestEpoch());
        assertEquals(end, log.endOffsetForEpoch(0).endOffset());
    }
}
