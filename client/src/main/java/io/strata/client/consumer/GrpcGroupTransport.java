package io.strata.client.consumer;

import io.grpc.StatusRuntimeException;
import io.strata.client.StrataException;
import io.strata.client.internal.ActiveInstance;
import io.strata.client.internal.Address;
import io.strata.client.internal.Errors;
import io.strata.proto.v1.CommitOffsetsRequest;
import io.strata.proto.v1.FetchOffsetsRequest;
import io.strata.proto.v1.FetchOffsetsResponse;
import io.strata.proto.v1.GroupHeartbeatRequest;
import io.strata.proto.v1.GroupHeartbeatResponse;
import io.strata.proto.v1.GroupsGrpc;

import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * {@link GroupTransport} over gRPC: each call goes to the active groups instance that
 * {@link ActiveInstance} (election {@value #ELECTION}) knows, and tells it about failures so the
 * next call goes where a standby pointed, or observes the election again.
 */
final class GrpcGroupTransport implements GroupTransport {

    /** The coordination election whose leader is the active groups instance's {@code host:port}. */
    static final String ELECTION = "groups";

    private final ActiveInstance coordinator;

    GrpcGroupTransport(ActiveInstance coordinator) {
        this.coordinator = coordinator;
    }

    @Override
    public GroupHeartbeatResponse heartbeat(GroupHeartbeatRequest request, long timeoutMs) {
        return call(timeoutMs, stub -> stub.heartbeat(request));
    }

    @Override
    public void commitOffsets(CommitOffsetsRequest request, long timeoutMs) {
        call(timeoutMs, stub -> stub.commitOffsets(request));
    }

    @Override
    public FetchOffsetsResponse fetchOffsets(FetchOffsetsRequest request, long timeoutMs) {
        return call(timeoutMs, stub -> stub.fetchOffsets(request));
    }

    private <R> R call(long timeoutMs, Function<GroupsGrpc.GroupsBlockingStub, R> method) {
        Address address = coordinator.address();
        try {
            return method.apply(GroupsGrpc.newBlockingStub(coordinator.channel(address))
                    .withDeadlineAfter(Math.max(1, timeoutMs), TimeUnit.MILLISECONDS));
        } catch (StatusRuntimeException | IllegalStateException e) {
            StrataException failure = Errors.toStrataException(e, address.toString());
            coordinator.onFailure(address, failure);
            throw failure;
        }
    }
}
