package io.strata.storage.replica;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.strata.proto.LeasedMessage;
import io.strata.proto.LeasedMessageMarshaller;
import io.strata.proto.ParseBufferPool;
import io.strata.proto.StrataError;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.Node;
import io.strata.proto.v1.OffsetForLeaderEpochRequest;
import io.strata.proto.v1.OffsetForLeaderEpochResponse;
import io.strata.proto.v1.ReplicaFetchRequest;
import io.strata.proto.v1.ReplicaFetchResponse;
import io.strata.proto.v1.StorageGrpc;
import io.strata.records.RecordBatch;
import io.strata.storage.log.LogStorageException;
import io.strata.storage.log.NonContiguousAppendException;
import io.strata.storage.log.PartitionLog;
import io.strata.storage.log.ScratchBuffers;
import io.strata.storage.log.TopicPartition;
import io.strata.storage.partition.HostedPartition;
import org.jboss.logging.Logger;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * This node's follower fetcher for every partition led by one other node (Kafka's replica fetcher
 * thread): one ReplicaFetch stream to the leader, one outstanding request per partition. A partition
 * starts by truncating its log to the leader's (KIP-101: OffsetForLeaderEpoch for its latest epoch,
 * then cut any suffix the leader does not have), then fetches from its log end for as long as it
 * follows this leader at this epoch: append the batches as they are (offsets and epochs kept),
 * take the leader's high watermark, ask again.
 *
 * <p>All state is confined to one thread ({@code executor}); gRPC callbacks hand off to it.
 */
final class ReplicaFetcher implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ReplicaFetcher.class);
    static final long RETRY_MS = 500;
    static final long LEADER_CHANGE_RETRY_MS = 50;
    static final long EPOCH_QUERY_DEADLINE_MS = 10_000;
    /** Answers this large or larger are parsed into pooled arrays (smaller ones: an array of their own). */
    static final int POOLED_ANSWER_MIN_BYTES = 4096;

    private enum Phase { TRUNCATING, FETCHING, WAITING }

    /** One followed partition at one leader epoch; replaced (not mutated) when the epoch changes. */
    private static final class Task {
        final HostedPartition partition;
        final int leaderEpoch;
        Phase phase = Phase.TRUNCATING;
        long correlationId = -1;

        Task(HostedPartition partition, int leaderEpoch) {
            this.partition = partition;
            this.leaderEpoch = leaderEpoch;
        }
    }

    private final int localNode;
    private final Node leader;
    private final ManagedChannel channel;
    private final ExecutorService executor;
    private final ScheduledExecutorService timer;
    private final int maxWaitMs;
    private final int maxBytes;
    private final Map<TopicPartition, Task> tasks = new HashMap<>();
    private final ScratchBuffers buffers = new ScratchBuffers();
    /**
     * ReplicaFetch with answers parsed into pooled arrays: an answer's batches alias the array
     * until they are copied into {@link #buffers} (gRPC's own marshaller copies them into a fresh
     * array per answer first: up to max.bytes each, a humongous G1 allocation at the default 1 MiB).
     */
    private final MethodDescriptor<ReplicaFetchRequest, LeasedMessage<ReplicaFetchResponse>> fetchMethod;
    private StreamObserver<ReplicaFetchRequest> requests;
    private long nextCorrelationId;
    private boolean closed;

    ReplicaFetcher(int localNode, Node leader, ManagedChannel channel, ExecutorService executor, ScheduledExecutorService timer,
                   int maxWaitMs, int maxBytes) {
        this.localNode = localNode;
        this.leader = leader;
        this.channel = channel;
        this.executor = executor;
        this.timer = timer;
        this.maxWaitMs = maxWaitMs;
        this.maxBytes = maxBytes;
        // Answers are handled one at a time on the fetcher's thread: a few free arrays suffice.
        this.fetchMethod = LeasedMessageMarshaller.forMethod(StorageGrpc.getReplicaFetchMethod(),
                ReplicaFetchResponse.getDefaultInstance(),
                new ParseBufferPool(POOLED_ANSWER_MIN_BYTES, Math.max(POOLED_ANSWER_MIN_BYTES, maxBytes) + 4096, 4,
                        4L * (Math.max(POOLED_ANSWER_MIN_BYTES, maxBytes) + 4096)));
    }

    Node leader() {
        return leader;
    }

    /** Follows {@code partition} at {@code leaderEpoch}; a new epoch (or a new hosted log) starts over with truncation. */
    void follow(HostedPartition partition, int leaderEpoch) {
        run(() -> {
            Task current = tasks.get(partition.topicPartition());
            if (current != null && current.partition == partition && current.leaderEpoch == leaderEpoch) {
                return;
            }
            Task t = new Task(partition, leaderEpoch);
            tasks.put(partition.topicPartition(), t);
            LOG.infof("%s: node %d follows node %d at epoch %d from offset %d", partition.topicPartition().dirName(),
                    localNode, leader.getNodeId(), leaderEpoch, partition.log().logEndOffset());
            truncate(t);
        });
    }

    /** Stops following the partitions not in {@code keep} (partition to the leader epoch to follow it at, from this leader). */
    void retain(Map<TopicPartition, Integer> keep) {
        run(() -> tasks.entrySet().removeIf(e -> !Integer.valueOf(e.getValue().leaderEpoch).equals(keep.get(e.getKey()))));
    }

    private void truncate(Task t) {
        t.phase = Phase.TRUNCATING;
        PartitionLog log = t.partition.log();
        int latest = log.latestEpoch();
        if (latest < 0) {
            // No epoch: nothing was ever appended here (or the log starts empty after a full truncation).
            fetch(t);
            return;
        }
        TopicPartition tp = t.partition.topicPartition();
        OffsetForLeaderEpochRequest request = OffsetForLeaderEpochRequest.newBuilder()
                .setTopic(tp.topic())
                .setPartition(tp.partition())
                .setLeaderEpoch(latest)
                .setCurrentLeaderEpoch(t.leaderEpoch)
                .build();
        StorageGrpc.newStub(channel).withDeadlineAfter(EPOCH_QUERY_DEADLINE_MS, TimeUnit.MILLISECONDS)
                .offsetForLeaderEpoch(request, new StreamObserver<>() {
                    @Override
                    public void onNext(OffsetForLeaderEpochResponse answer) {
                        run(() -> truncateTo(t, latest, answer));
                    }

                    @Override
                    public void onError(Throwable failure) {
                        run(() -> {
                            if (isCurrent(t)) {
                                LOG.debugf("%s: OffsetForLeaderEpoch on node %d failed (%s); retrying", tp.dirName(),
                                        leader.getNodeId(), failure.getMessage());
                                ErrorCode reason = StrataError.reasonOf(failure).orElse(ErrorCode.ERROR_CODE_UNSPECIFIED);
                                boolean transientChange = reason == ErrorCode.UNKNOWN_LEADER_EPOCH || reason == ErrorCode.NOT_LEADER;
                                later(t, () -> truncate(t), transientChange ? LEADER_CHANGE_RETRY_MS : RETRY_MS);
                            }
                        });
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
    }

    /** Cuts the divergent suffix ({@link DivergencePoint}) a deposed leader may have left, then fetches. */
    private void truncateTo(Task t, int askedEpoch, OffsetForLeaderEpochResponse answer) {
        if (!isCurrent(t)) {
            return;
        }
        PartitionLog log = t.partition.log();
        long target = DivergencePoint.of(askedEpoch, answer.getLeaderEpoch(), answer.getEndOffset(),
                epoch -> log.endOffsetForEpoch(epoch).endOffset());
        long end = log.logEndOffset();
        if (target < end) {
            try {
                boolean done = changeLog(t, () -> {
                    if (target < log.logStartOffset()) {
                        log.truncateFullyAndStartAt(target);
                    } else {
                        log.truncateTo(target);
                    }
                });
                if (!done) {
                    return;
                }
                LOG.infof("%s: node %d truncated its log from %d to %d (leader %d has epoch %d ending at %d; ours was %d)",
                        t.partition.topicPartition().dirName(), localNode, end, log.logEndOffset(), leader.getNodeId(),
                        answer.getLeaderEpoch(), answer.getEndOffset(), askedEpoch);
            } catch (LogStorageException e) {
                LOG.errorf(e, "%s: truncation failed; the replica stops following", t.partition.topicPartition().dirName());
                return;
            }
        }
        fetch(t);
    }

    private void fetch(Task t) {
        if (!isCurrent(t)) {
            return;
        }
        t.phase = Phase.FETCHING;
        t.correlationId = ++nextCorrelationId;
        TopicPartition tp = t.partition.topicPartition();
        stream().onNext(ReplicaFetchRequest.newBuilder()
                .setReplicaId(localNode)
                .setTopic(tp.topic())
                .setPartition(tp.partition())
                .setFetchOffset(t.partition.log().logEndOffset())
                .setLeaderEpoch(t.leaderEpoch)
                .setMaxBytes(maxBytes)
                .setMaxWaitMs(maxWaitMs)
                .setCorrelationId(t.correlationId)
                .build());
    }

    private void onAnswer(ReplicaFetchResponse answer) {
        Task t = tasks.get(new TopicPartition(answer.getTopic(), answer.getPartition()));
        if (t == null || t.phase != Phase.FETCHING || t.correlationId != answer.getCorrelationId()) {
            return;
        }
        PartitionLog log = t.partition.log();
        String where = t.partition.topicPartition().dirName();
        if (answer.getError() != ErrorCode.ERROR_CODE_UNSPECIFIED) {
            if (answer.getError() == ErrorCode.OFFSET_OUT_OF_RANGE) {
                if (answer.getLogStartOffset() > log.logEndOffset()) {
                    // The leader's retention removed what we miss: start over at its log start (Kafka does the same).
                    LOG.warnf("%s: node %d's log end %d is below leader %d's log start %d; starting the log over there",
                            where, localNode, log.logEndOffset(), leader.getNodeId(), answer.getLogStartOffset());
                    if (changeLog(t, () -> log.truncateFullyAndStartAt(answer.getLogStartOffset()))) {
                        fetch(t);
                    }
                } else {
                    truncate(t);
                }
                return;
            }
            LOG.debugf("%s: replica fetch from node %d refused: %s %s", where, leader.getNodeId(), answer.getError(),
                    answer.getErrorMessage());
            // During a change of leader the nodes learn the new epoch at slightly different times: ask again soon.
            boolean transientChange = answer.getError() == ErrorCode.UNKNOWN_LEADER_EPOCH || answer.getError() == ErrorCode.NOT_LEADER;
            later(t, () -> fetch(t), transientChange ? LEADER_CHANGE_RETRY_MS : RETRY_MS);
            return;
        }
        if (!answer.getBatches().isEmpty()) {
            // One copy, into this fetcher's reused direct buffer: the CRC check and the file write
            // then read it in place (a heap buffer costs a fresh array and the JDK's hidden copy).
            ByteBuffer batches = buffers.take(answer.getBatches().size());
            answer.getBatches().copyTo(batches);
            batches.flip();
            try {
                requireValidCrcs(batches, where);
                if (!changeLog(t, () -> log.appendAsFollower(batches))) {
                    return;
                }
            } catch (NonContiguousAppendException e) {
                LOG.warnf("%s: %s; truncating again", where, e.getMessage());
                truncate(t);
                return;
            } catch (IllegalArgumentException e) {
                LOG.errorf("%s: leader %d sent batches that fail their check (%s); fetching again", where,
                        leader.getNodeId(), e.getMessage());
                later(t, () -> fetch(t));
                return;
            } catch (LogStorageException e) {
                LOG.errorf(e, "%s: append failed; the replica stops following", where);
                return;
            }
        }
        t.partition.onLeaderHighWatermark(answer.getHighWatermark());
        fetch(t);
    }

    /** The leader checked each batch when it took it; this catches damage on the way (the CRC covers all but the header's offset fields). */
    private static void requireValidCrcs(ByteBuffer batches, String where) {
        for (int p = batches.position(); p < batches.limit(); ) {
            if (batches.limit() - p < RecordBatch.HEADER_SIZE || RecordBatch.sizeInBytes(batches, p) > batches.limit() - p) {
                throw new IllegalArgumentException("a partial batch at byte " + (p - batches.position()) + " for " + where);
            }
            if (!RecordBatch.isCrcValid(batches, p)) {
                throw new IllegalArgumentException("CRC mismatch in the batch at offset " + RecordBatch.baseOffset(batches, p));
            }
            p += RecordBatch.sizeInBytes(batches, p);
        }
    }

    private StreamObserver<ReplicaFetchRequest> stream() {
        if (requests == null) {
            StreamObserver<ReplicaFetchRequest>[] self = new StreamObserver[1];
            self[0] = ClientCalls.asyncBidiStreamingCall(channel.newCall(fetchMethod, CallOptions.DEFAULT),
                    new StreamObserver<LeasedMessage<ReplicaFetchResponse>>() {
                @Override
                public void onNext(LeasedMessage<ReplicaFetchResponse> answer) {
                    run(() -> {
                        try {
                            onAnswer(answer.message());
                        } finally {
                            answer.close(); // its batches were copied (or dropped)
                        }
                    });
                }

                @Override
                public void onError(Throwable failure) {
                    run(() -> streamEnded(self[0], failure));
                }

                @Override
                public void onCompleted() {
                    run(() -> streamEnded(self[0], null));
                }
            });
            requests = self[0];
        }
        return requests;
    }

    /** The stream broke (leader down, network): every fetching partition asks again on a new stream after a pause. */
    private void streamEnded(StreamObserver<ReplicaFetchRequest> which, Throwable failure) {
        if (requests != which || closed) {
            return;
        }
        requests = null;
        LOG.debugf("replica fetch stream from node %d to leader %d ended: %s", localNode, leader.getNodeId(),
                failure == null ? "completed" : failure.getMessage());
        for (Task t : List.copyOf(tasks.values())) {
            if (t.phase == Phase.FETCHING) {
                later(t, () -> fetch(t));
            }
        }
    }

    /**
     * Runs a change of the log only while the partition still follows this leader at the task's
     * epoch ({@link HostedPartition#whileFollowing}); otherwise drops the task's work (a new
     * assignment replaces it).
     */
    private boolean changeLog(Task t, Runnable change) {
        return t.partition.whileFollowing(leader.getNodeId(), t.leaderEpoch, change);
    }

    private void later(Task t, Runnable step) {
        later(t, step, RETRY_MS);
    }

    private void later(Task t, Runnable step, long delayMs) {
        t.phase = Phase.WAITING;
        try {
            timer.schedule(() -> run(() -> {
                if (isCurrent(t) && t.phase == Phase.WAITING) {
                    step.run();
                }
            }), delayMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // shutting down
        }
    }

    private boolean isCurrent(Task t) {
        return !closed && tasks.get(t.partition.topicPartition()) == t;
    }

    private void run(Runnable step) {
        try {
            executor.execute(() -> {
                try {
                    step.run();
                } catch (RuntimeException e) {
                    LOG.errorf(e, "replica fetcher of node %d for leader %d failed a step", localNode, leader.getNodeId());
                }
            });
        } catch (RejectedExecutionException e) {
            // closed
        }
    }

    @Override
    public void close() {
        run(() -> {
            closed = true;
            tasks.clear();
            if (requests != null) {
                try {
                    requests.onCompleted();
                } catch (RuntimeException ignored) {
                    // the stream is gone already
                }
                requests = null;
            }
            channel.shutdownNow();
        });
        executor.shutdown();
    }
}
