package io.strata.replication.grpc;

import io.grpc.stub.StreamObserver;
import io.strata.proto.v1.AlterIsrRequest;
import io.strata.proto.v1.ElectPreferredLeadersRequest;
import io.strata.proto.v1.ElectPreferredLeadersResponse;
import io.strata.proto.v1.PartitionState;
import io.strata.proto.v1.ReassignPartitionsRequest;
import io.strata.proto.v1.ReassignPartitionsResponse;
import io.strata.proto.v1.ReplicationGrpc;
import io.strata.replication.ReplicationNode;
import io.strata.replication.controller.ReplicationController;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The Replication gRPC service ({@code strata.v1.Replication}): a thin adapter to
 * {@link ReplicationController}, which holds the rules. Calls never wait on a server thread: they
 * answer when the controller's future completes (its coordination calls are asynchronous).
 * A CDI {@code @Singleton} {@link io.grpc.BindableService}: the runtime's gRPC server serves it.
 */
@Singleton
public class ReplicationGrpcService extends ReplicationGrpc.ReplicationImplBase {

    private final Supplier<ReplicationController> controller;

    @Inject
    public ReplicationGrpcService(ReplicationNode node) {
        this(node::controller);
    }

    /** For tests and embedding: {@code controller} gives the instance's controller (or throws UNAVAILABLE). */
    public ReplicationGrpcService(Supplier<ReplicationController> controller) {
        this.controller = controller;
    }

    @Override
    public void alterIsr(AlterIsrRequest request, StreamObserver<PartitionState> responses) {
        answer(responses, c -> c.alterIsr(request));
    }

    @Override
    public void electPreferredLeaders(ElectPreferredLeadersRequest request, StreamObserver<ElectPreferredLeadersResponse> responses) {
        answer(responses, c -> c.electPreferredLeaders(request));
    }

    @Override
    public void reassignPartitions(ReassignPartitionsRequest request, StreamObserver<ReassignPartitionsResponse> responses) {
        answer(responses, c -> c.reassignPartitions(request));
    }

    private <T> void answer(StreamObserver<T> responses, Function<ReplicationController, CompletableFuture<T>> call) {
        CompletableFuture<T> result;
        try {
            result = call.apply(controller.get());
        } catch (RuntimeException e) {
            responses.onError(ReplicationController.toStatus(e));
            return;
        }
        result.whenComplete((value, error) -> {
            if (error != null) {
                responses.onError(ReplicationController.toStatus(error));
            } else {
                responses.onNext(value);
                responses.onCompleted();
            }
        });
    }
}
