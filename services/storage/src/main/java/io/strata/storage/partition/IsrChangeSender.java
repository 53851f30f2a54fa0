package io.strata.storage.partition;

import io.strata.proto.v1.AlterIsrRequest;
import io.strata.proto.v1.PartitionState;

import java.util.function.Consumer;

/** Sends a leader's ISR change to the active replication controller (Replication.AlterIsr). */
@FunctionalInterface
public interface IsrChangeSender {

    /** Calls exactly one of the callbacks, on any thread. */
    void alterIsr(AlterIsrRequest request, Consumer<PartitionState> onApplied, Consumer<Throwable> onFailed);
}
