package io.strata.client.consumer;

import io.strata.client.StrataException;
import io.strata.client.TopicPartition;
import io.strata.client.internal.Backoff;
import io.strata.proto.v1.CommitOffsetsRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.FetchOffsetsRequest;
import io.strata.proto.v1.FetchOffsetsResponse;
import io.strata.proto.v1.OffsetCommit;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Commits and reads a group's offsets on the active groups coordinator. Every operation runs on
 * one thread of its own (daemon, started on first use), in submission order: an offset committed
 * asynchronously is never overwritten by an older one, and a committed-offset read sees the
 * commits made before it.
 *
 * <p>Commits merge: a commit that has not started yet absorbs the later commits of the same kind
 * (group-managed or not) submitted right after it, with no other operation between them (a read
 * is a barrier). The merged commit sends the union of their offsets, the later offset and metadata
 * winning per partition, in one request, and every caller's future completes with its outcome. So
 * a consumer that commits asynchronously after every poll sends one request per round trip
 * instead of a growing queue of them. The order guarantees above still hold: only commits
 * adjacent in the queue merge, and within one the later offset wins. The merged commit retries
 * until the latest of the callers' deadlines: none of them is cut short, and a caller that waits
 * bounds its own wait ({@code ConsumerCoordinator.commitSync}).
 *
 * <p>Each operation retries until its deadline:
 *
 * <ul>
 *   <li>{@code NOT_COORDINATOR} and other retriable failures: again, at once after the first
 *       {@code NOT_COORDINATOR} (the transport follows the named instance), with backoff otherwise;
 *       a commit is idempotent, so repeating one is safe;</li>
 *   <li>{@code STALE_MEMBER_EPOCH}: the member's epoch moved on since it last heard; a heartbeat is
 *       sent at once and the commit repeated with the epoch it brings;</li>
 *   <li>{@code FENCED_MEMBER_EPOCH}, {@code UNKNOWN_MEMBER_ID}: {@link CommitFailedException}, as is a
 *       group-managed commit while the member is not in the group (joining, fenced, left);</li>
 *   <li>{@code FENCED_INSTANCE_ID}: another process took this member's place under its
 *       {@code group.instance.id}; the membership fails for good
 *       ({@link MembershipManager#instanceFenced}) and the commit with a {@link CommitFailedException}
 *       of that reason.</li>
 * </ul>
 */
final class OffsetCommitter implements AutoCloseable {

    private final String groupId;
    private final MembershipManager membership;
    private final GroupTransport transport;
    private final Backoff backoff;
    private final long requestTimeoutMs;
    private final Clock clock;
    private final String threadName;
    private ExecutorService executor;
    private boolean closed;
    /** The last operation queued, if it is a commit not started yet: later commits merge into it. */
    private PendingCommit pendingCommit;

    OffsetCommitter(String groupId, MembershipManager membership, GroupTransport transport, Backoff backoff,
                    long requestTimeoutMs, Clock clock, String threadName) {
        this.groupId = groupId;
        this.membership = membership;
        this.transport = transport;
        this.backoff = backoff;
        this.requestTimeoutMs = requestTimeoutMs;
        this.clock = clock;
        this.threadName = threadName;
    }

    /**
     * Commits {@code offsets}: as the group member ({@code groupManaged}), or outside group
     * management (member id "" and epoch -1, for {@code assign()}).
     */
    CompletableFuture<Void> commit(Map<TopicPartition, OffsetAndMetadata> offsets, boolean groupManaged, long deadlineMs) {
        Map<TopicPartition, OffsetAndMetadata> copy = Map.copyOf(offsets); // rejects nulls before anything merges
        synchronized (this) {
            PendingCommit batch = pendingCommit;
            if (batch == null || batch.groupManaged != groupManaged) {
                PendingCommit fresh = new PendingCommit(groupManaged);
                Job<Void> job = new Job<>(() -> {
                    runCommit(fresh);
                    return null;
                });
                if (!enqueue(job)) {
                    return job.result; // failed: the committer is closed
                }
                // The job cannot complete before the callers below join: runCommit first takes this lock.
                job.result.whenComplete(fresh::completeCallers);
                pendingCommit = fresh;
                batch = fresh;
            }
            batch.offsets.putAll(copy);
            batch.deadlineMs = Math.max(batch.deadlineMs, deadlineMs);
            CompletableFuture<Void> own = new CompletableFuture<>();
            batch.callers.add(own);
            return own;
        }
    }

    /** Sends {@code batch}; from now on it is closed to merges. */
    private void runCommit(PendingCommit batch) throws InterruptedException {
        synchronized (this) {
            if (pendingCommit == batch) {
                pendingCommit = null;
            }
        }
        // batch is only changed while it is pendingCommit, under the lock taken above
        commitNow(batch.offsets, batch.groupManaged, batch.deadlineMs);
    }

    /** The committed offsets of {@code partitions}; a partition without one maps to {@code null}. */
    CompletableFuture<Map<TopicPartition, OffsetAndMetadata>> fetchCommitted(Collection<TopicPartition> partitions,
                                                                             long deadlineMs) {
        FetchOffsetsRequest.Builder request = FetchOffsetsRequest.newBuilder().setGroupId(groupId);
        partitions.forEach(tp -> request.addPartitions(io.strata.proto.v1.TopicPartition.newBuilder()
                .setTopic(tp.topic()).setPartition(tp.partition())));
        return submit(() -> {
            FetchOffsetsResponse response = retrying(deadlineMs, timeout -> transport.fetchOffsets(request.build(), timeout));
            Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
            partitions.forEach(tp -> out.put(tp, null));
            for (OffsetCommit c : response.getOffsetsList()) {
                TopicPartition tp = new TopicPartition(c.getTopic(), c.getPartition());
                if (out.containsKey(tp) && c.getOffset() >= 0) {
                    out.put(tp, new OffsetAndMetadata(c.getOffset(), c.getMetadata()));
                }
            }
            return out;
        });
    }

    private void commitNow(Map<TopicPartition, OffsetAndMetadata> offsets, boolean groupManaged, long deadlineMs)
            throws InterruptedException {
        StrataException last = null;
        int failures = 0;
        while (true) {
            String memberId = "";
            int epoch = MembershipManager.LEAVE_EPOCH;
            long seen = 0;
            if (groupManaged) {
                Optional<MembershipManager.Identity> identity = membership.identity();
                if (identity.isEmpty()) {
                    Optional<StrataException> replaced = membership.fatal()
                            .filter(f -> f.reason() == ErrorCode.FENCED_INSTANCE_ID);
                    if (replaced.isPresent()) {
                        throw new CommitFailedException(ErrorCode.FENCED_INSTANCE_ID, "cannot commit: "
                                + replaced.get().getMessage(), replaced.get());
                    }
                    throw new CommitFailedException(ErrorCode.ERROR_CODE_UNSPECIFIED, "cannot commit: this consumer is "
                            + "not a member of group '" + groupId + "' right now (joining, fenced or left); its "
                            + "partitions may belong to another member", last);
                }
                memberId = identity.get().memberId();
                epoch = identity.get().epoch();
                seen = membership.responses();
            }
            long left = deadlineMs - clock.millis();
            if (left <= 0) {
                throw timedOut(last);
            }
            CommitOffsetsRequest.Builder request = CommitOffsetsRequest.newBuilder()
                    .setGroupId(groupId).setMemberId(memberId).setMemberEpoch(epoch);
            offsets.forEach((tp, om) -> request.addOffsets(OffsetCommit.newBuilder().setTopic(tp.topic())
                    .setPartition(tp.partition()).setOffset(om.offset()).setMetadata(om.metadata())));
            try {
                transport.commitOffsets(request.build(), Math.min(requestTimeoutMs, left));
                return;
            } catch (StrataException e) {
                last = e;
                ErrorCode reason = e.reason();
                if (reason == ErrorCode.FENCED_INSTANCE_ID && groupManaged) {
                    StrataException fenced = membership.instanceFenced(e);
                    throw new CommitFailedException(reason, "the group refused the commit: " + fenced.getMessage(), fenced);
                }
                if (reason == ErrorCode.FENCED_MEMBER_EPOCH || reason == ErrorCode.UNKNOWN_MEMBER_ID) {
                    throw new CommitFailedException(reason, groupManaged
                            ? "the group refused the commit: member " + memberId + " (epoch " + epoch + ") was fenced; "
                            + "its partitions may belong to another member (" + e.getMessage() + ")"
                            : "the group '" + groupId + "' has live members: offsets can only be committed "
                            + "outside group management while it has none (" + e.getMessage() + ")", e);
                }
                if (reason == ErrorCode.STALE_MEMBER_EPOCH && groupManaged) {
                    membership.requestHeartbeat();
                    membership.awaitResponseAfter(seen, clock, deadlineMs);
                    continue;
                }
                if (!e.retriable()) {
                    throw e;
                }
                failures++;
                sleepBeforeRetry(reason, failures, deadlineMs);
            }
        }
    }

    private interface Attempt<R> {
        R call(long timeoutMs);
    }

    private <R> R retrying(long deadlineMs, Attempt<R> attempt) throws InterruptedException {
        StrataException last = null;
        for (int failures = 1; ; failures++) {
            long left = deadlineMs - clock.millis();
            if (left <= 0) {
                throw timedOut(last);
            }
            try {
                return attempt.call(Math.min(requestTimeoutMs, left));
            } catch (StrataException e) {
                if (!e.retriable()) {
                    throw e;
                }
                last = e;
                sleepBeforeRetry(e.reason(), failures, deadlineMs);
            }
        }
    }

    private void sleepBeforeRetry(ErrorCode reason, int failures, long deadlineMs) throws InterruptedException {
        if (reason == ErrorCode.NOT_COORDINATOR && failures == 1) {
            return; // the transport follows the instance the standby named
        }
        long wait = Math.min(backoff.delayMs(failures), deadlineMs - clock.millis());
        if (wait > 0) {
            Thread.sleep(wait);
        }
    }

    private static StrataException timedOut(StrataException last) {
        if (last == null) {
            return new StrataException(ErrorCode.REQUEST_TIMED_OUT, "the offsets operation timed out");
        }
        return new StrataException(last.reason(), last.reasonName(), last.retriable(), last.statusCode().orElse(null),
                "the offsets operation timed out; last error: " + last.getMessage(), last);
    }

    private interface Task<R> {
        R run() throws Exception;
    }

    /** A queued operation and its future, so that one never run can still be completed. */
    private static final class Job<R> implements Runnable {
        final Task<R> task;
        final CompletableFuture<R> result = new CompletableFuture<>();

        Job(Task<R> task) {
            this.task = task;
        }

        @Override
        public void run() {
            try {
                result.complete(task.run());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                result.completeExceptionally(closed(e));
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        }
    }

    /**
     * A commit that may still absorb later ones. Changed only under the committer's lock, and only
     * while it is {@link #pendingCommit}.
     */
    private static final class PendingCommit {
        final boolean groupManaged;
        final Map<TopicPartition, OffsetAndMetadata> offsets = new LinkedHashMap<>();
        long deadlineMs = Long.MIN_VALUE;
        /**
         * One future per caller, in commit order, so that callers cannot complete or cancel each
         * other's, and their callbacks run in the order of the commits (dependents of one shared
         * future would run in reverse).
         */
        final List<CompletableFuture<Void>> callers = new ArrayList<>();

        PendingCommit(boolean groupManaged) {
            this.groupManaged = groupManaged;
        }

        /** Runs once the commit was sent and answered, so no caller joins any more. */
        void completeCallers(Void ignored, Throwable failure) {
            for (CompletableFuture<Void> caller : callers) {
                if (failure != null) {
                    caller.completeExceptionally(failure);
                } else {
                    caller.complete(null);
                }
            }
        }
    }

    private static StrataException closed(Throwable cause) {
        return new StrataException(ErrorCode.ERROR_CODE_UNSPECIFIED, "CLOSED", false, null,
                "the consumer was closed before the offsets operation completed", cause);
    }

    private synchronized <R> CompletableFuture<R> submit(Task<R> task) {
        Job<R> job = new Job<>(task);
        enqueue(job);
        return job.result;
    }

    /** Queues {@code job}, or fails it if the committer is closed; whether it was queued. Holds the lock. */
    private boolean enqueue(Job<?> job) {
        pendingCommit = null; // nothing merges across another operation
        if (closed) {
            job.result.completeExceptionally(closed(null));
            return false;
        }
        if (executor == null) {
            executor = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, threadName);
                t.setDaemon(true);
                return t;
            });
        }
        try {
            executor.execute(job);
            return true;
        } catch (RejectedExecutionException e) {
            job.result.completeExceptionally(closed(e));
            return false;
        }
    }

    /**
     * Lets queued operations finish for up to {@code waitMs}, then interrupts the one running; the
     * futures of those that never ran fail. Later operations fail at once.
     */
    void close(long waitMs) {
        ExecutorService e;
        synchronized (this) {
            closed = true;
            pendingCommit = null;
            e = executor;
            executor = null;
        }
        if (e == null) {
            return;
        }
        e.shutdown();
        try {
            if (!e.awaitTermination(Math.max(0, waitMs), TimeUnit.MILLISECONDS)) {
                failNeverRun(e.shutdownNow());
            }
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            failNeverRun(e.shutdownNow());
        }
    }

    private static void failNeverRun(List<Runnable> jobs) {
        for (Runnable r : jobs) {
            if (r instanceof Job<?> job) {
                job.result.completeExceptionally(closed(null));
            }
        }
    }

    @Override
    public void close() {
        close(0);
    }
}
