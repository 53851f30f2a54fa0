package io.strata.replication.controller;

import io.strata.proto.StrataError;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.PartitionState;
import io.strata.proto.v1.UpdatePartitionStateRequest;
import io.strata.replication.rules.PartitionChange;
import io.strata.runtime.coordination.CoordinationCalls;
import io.strata.runtime.coordination.CoordinationChannels;
import org.jboss.logging.Logger;

import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;

/**
 * Writes partition changes with coordination's UpdatePartitionState — compare-and-set on the
 * partition epoch the change was decided on — at most {@code maxInFlight} at once (the rest wait
 * in a queue, nothing blocks), so thousands of partitions fail over in a few round trips without
 * flooding coordination. A write about to start when {@code mayWrite} says no (leadership lost)
 * is not sent and fails NOT_CONTROLLER. Every future completes: with the stored state, or the
 * call's failure (CAS_FAILED when the partition moved meanwhile). Every leader change written is
 * logged and counted in {@code leaderChanges}. Thread-safe.
 */
final class PartitionWriter {

    private static final Logger LOG = Logger.getLogger(PartitionWriter.class);

    private final CoordinationChannels channels;
    private final int maxInFlight;
    private final BooleanSupplier mayWrite;
    private final LongAdder leaderChanges;
    private final Queue<Runnable> waiting = new ArrayDeque<>();
    private int inFlight;

    PartitionWriter(CoordinationChannels channels, int maxInFlight, BooleanSupplier mayWrite, LongAdder leaderChanges) {
        this.channels = channels;
        this.maxInFlight = maxInFlight;
        this.mayWrite = mayWrite;
        this.leaderChanges = leaderChanges;
    }

    CompletableFuture<PartitionState> write(PartitionChange change) {
        CompletableFuture<PartitionState> result = new CompletableFuture<>();
        synchronized (this) {
            waiting.add(() -> start(change, result));
        }
        pump();
        return result;
    }

    private void pump() {
        while (true) {
            Runnable next;
            synchronized (this) {
                if (inFlight >= maxInFlight || waiting.isEmpty()) {
                    return;
                }
                next = waiting.poll();
                inFlight++;
            }
            next.run();
        }
    }

    private void start(PartitionChange change, CompletableFuture<PartitionState> result) {
        if (!mayWrite.getAsBoolean()) {
            finished();
            result.completeExceptionally(StrataError.exception(ErrorCode.NOT_CONTROLLER,
                    "this replication instance lost the controller election; retry on the active one"));
            return;
        }
        UpdatePartitionStateRequest request = UpdatePartitionStateRequest.newBuilder()
                .setState(change.after())
                .setExpectedPartitionEpoch(change.before().getPartitionEpoch())
                .build();
        CoordinationCalls.<PartitionState>call(channels, ReplicationController.CALL_DEADLINE_MS,
                (stub, o) -> stub.updatePartitionState(request, o)).whenComplete((stored, error) -> {
            finished();
            if (error != null) {
                if (StrataError.reasonOf(error).orElse(null) == ErrorCode.CAS_FAILED) {
                    LOG.debugf("%s-%d moved before the controller's write (CAS failed); the next snapshot decides again",
                            change.topic(), change.partition());
                } else {
                    LOG.warnf("writing %s failed: %s", change, error.getMessage());
                }
                result.completeExceptionally(error);
                return;
            }
            if (change.leaderChanged()) {
                leaderChanges.increment();
                LOG.infof("leader election: topic %s partition %d leader %d -> %d, leader epoch %d, isr %s, elr %s%s; reason: %s",
                        change.topic(), change.partition(), change.before().getLeader(), stored.getLeader(), stored.getLeaderEpoch(),
                        stored.getIsrList(), stored.getElrList(), change.replicasChange(), change.reason());
            } else {
                LOG.infof("partition %s-%d: isr %s -> %s, elr %s -> %s%s (partition epoch %d); reason: %s", change.topic(),
                        change.partition(), change.before().getIsrList(), stored.getIsrList(), change.before().getElrList(),
                        stored.getElrList(), change.replicasChange(), stored.getPartitionEpoch(), change.reason());
            }
            result.complete(stored);
        });
    }

    private void finished() {
        synchronized (this) {
            inFlight--;
        }
        pump();
    }
}
