package io.strata.groups.store;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.strata.groups.coordinator.GroupException;
import io.strata.groups.coordinator.GroupPersistence;
import io.strata.proto.StrataError;
import io.strata.proto.v1.CoordinationGrpc;
import io.strata.proto.v1.DeleteGroupStateRequest;
import io.strata.proto.v1.DeleteGroupStateResponse;
import io.strata.proto.v1.ElectionFence;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.GroupRecord;
import io.strata.proto.v1.OffsetCommit;
import io.strata.proto.v1.PutGroupRecordRequest;
import io.strata.proto.v1.PutGroupRecordResponse;
import io.strata.proto.v1.StoreGroupOffsetsRequest;
import io.strata.proto.v1.StoreGroupOffsetsResponse;
import io.strata.runtime.coordination.CoordinationCalls;
import io.strata.runtime.coordination.CoordinationChannels;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;

/**
 * The coordinator's durability through coordination's group RPCs (PutGroupRecord,
 * StoreGroupOffsets, DeleteGroupState), each carrying this term's {@link ElectionFence}: coordination
 * applies a write only while the term still leads the election, in the same store transaction.
 *
 * <p>Failure policy, in one place:
 * <ul>
 *   <li>the term ended here ({@code termActive} false): no call is made; NOT_COORDINATOR;</li>
 *   <li>coordination answers NOT_COORDINATOR: this instance was deposed — {@code deposed} runs
 *       (the instance drops its term and resigns) and the write fails with NOT_COORDINATOR;</li>
 *   <li>coordination unreachable, without its store, or its answer lost (UNAVAILABLE,
 *       METADATA_UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED):
 *       tried again with back-off ({@value #FIRST_BACKOFF_MS} ms doubling to
 *       {@value #MAX_BACKOFF_MS} ms) for at most {@value #RETRY_BUDGET_MS} ms — every write is a
 *       replacement, so repeating one is harmless, and the fence stops it once the term is over —
 *       then fails with METADATA_UNAVAILABLE (retriable for the client);</li>
 *   <li>anything else (INVALID_REQUEST: a bug) fails as it came.</li>
 * </ul>
 * Every future completes. Thread-safe.
 */
public final class CoordinationGroupPersistence implements GroupPersistence {

    private static final Logger LOG = Logger.getLogger(CoordinationGroupPersistence.class);
    static final long ATTEMPT_DEADLINE_MS = 5_000;
    static final long RETRY_BUDGET_MS = 10_000;
    static final long FIRST_BACKOFF_MS = 50;
    static final long MAX_BACKOFF_MS = 1_000;

    private final CoordinationChannels channels;
    private final ScheduledExecutorService scheduler;
    private final ElectionFence fence;
    private final BooleanSupplier termActive;
    private final Runnable deposed;

    /**
     * @param fence      the election and the term this instance won
     * @param termActive whether the term still runs here (false: nothing more is sent)
     * @param deposed    runs when coordination says the term no longer leads
     */
    public CoordinationGroupPersistence(CoordinationChannels channels, ScheduledExecutorService scheduler, ElectionFence fence,
                                        BooleanSupplier termActive, Runnable deposed) {
        this.channels = channels;
        this.scheduler = scheduler;
        this.fence = fence;
        this.termActive = termActive;
        this.deposed = deposed;
    }

    @Override
    public CompletableFuture<Void> putRecord(GroupRecord record) {
        PutGroupRecordRequest request = PutGroupRecordRequest.newBuilder().setFence(fence).setRecord(record).build();
        return this.<PutGroupRecordResponse>write("the record of group '" + record.getGroupId() + "'",
                (stub, o) -> stub.putGroupRecord(request, o)).thenApply(r -> null);
    }

    @Override
    public CompletableFuture<Void> storeOffsets(String groupId, List<OffsetCommit> offsets) {
        StoreGroupOffsetsRequest request = StoreGroupOffsetsRequest.newBuilder().setFence(fence).setGroupId(groupId)
                .addAllOffsets(offsets).build();
        return this.<StoreGroupOffsetsResponse>write(offsets.size() + " committed offsets of group '" + groupId + "'",
                (stub, o) -> stub.storeGroupOffsets(request, o)).thenApply(r -> null);
    }

    @Override
    public CompletableFuture<Void> deleteGroup(String groupId) {
        DeleteGroupStateRequest request = DeleteGroupStateRequest.newBuilder().setFence(fence).setGroupId(groupId).build();
        return this.<DeleteGroupStateResponse>write("the deletion of group '" + groupId + "'",
                (stub, o) -> stub.deleteGroupState(request, o)).thenApply(r -> null);
    }

    private <T> CompletableFuture<T> write(String what, BiConsumer<CoordinationGrpc.CoordinationStub, StreamObserver<T>> call) {
        CompletableFuture<T> result = new CompletableFuture<>();
        attempt(what, call, result, 0, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RETRY_BUDGET_MS));
        return result;
    }

    private <T> void attempt(String what, BiConsumer<CoordinationGrpc.CoordinationStub, StreamObserver<T>> call,
                             CompletableFuture<T> result, int attempt, long giveUpAt) {
        if (!termActive.getAsBoolean()) {
            result.completeExceptionally(new GroupException(ErrorCode.NOT_COORDINATOR, "term " + fence.getTerm()
                    + " of this groups instance has ended; " + what + " was not stored"));
            return;
        }
        long remainingMs = TimeUnit.NANOSECONDS.toMillis(giveUpAt - System.nanoTime());
        CoordinationCalls.call(channels, Math.max(1, Math.min(ATTEMPT_DEADLINE_MS, remainingMs)), call).whenComplete((value, error) -> {
            if (error == null) {
                result.complete(value);
                return;
            }
            ErrorCode reason = StrataError.reasonOf(error).orElse(null);
            if (reason == ErrorCode.NOT_COORDINATOR) {
                LOG.warnf("coordination refused %s: term %d of election '%s' no longer leads; stepping down", what, fence.getTerm(),
                        fence.getElection());
                try {
                    deposed.run(); // first, so whoever sees the refusal finds the term already dropped
                } finally {
                    result.completeExceptionally(new GroupException(ErrorCode.NOT_COORDINATOR, "this groups instance was deposed (term "
                            + fence.getTerm() + " ended); " + what + " was not stored"));
                }
                return;
            }
            if (!retriable(error, reason)) {
                result.completeExceptionally(error);
                return;
            }
            long backoff = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS << Math.min(attempt, 10));
            if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoff) >= giveUpAt) {
                result.completeExceptionally(new GroupException(ErrorCode.METADATA_UNAVAILABLE, "coordination could not store "
                        + what + " within " + RETRY_BUDGET_MS + " ms (" + Status.fromThrowable(error).getDescription() + "); retry"));
                return;
            }
            LOG.debugf("storing %s failed (%s); attempt %d in %d ms", what, error.getMessage(), attempt + 2, backoff);
            try {
                scheduler.schedule(() -> attempt(what, call, result, attempt + 1, giveUpAt), backoff, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException shuttingDown) {
                result.completeExceptionally(new GroupException(ErrorCode.NOT_COORDINATOR, "this groups instance is shutting down; "
                        + what + " was not stored"));
            }
        });
    }

    /**
     * Unreachable coordination, a lost answer (deadline) or a cancelled call may pass: every write
     * here puts whole values under the term's fence, so repeating one that did land is harmless.
     */
    private static boolean retriable(Throwable error, ErrorCode reason) {
        if (reason != null) {
            return reason == ErrorCode.METADATA_UNAVAILABLE;
        }
        Status.Code code = Status.fromThrowable(error).getCode();
        return code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED || code == Status.Code.CANCELLED;
    }
}
