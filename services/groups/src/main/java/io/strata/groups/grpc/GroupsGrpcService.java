package io.strata.groups.grpc;

import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.strata.groups.GroupsNode;
import io.strata.groups.assignor.TopicPartition;
import io.strata.groups.coordinator.GroupCoordinator;
import io.strata.groups.coordinator.GroupException;
import io.strata.groups.instance.GroupsInstance;
import io.strata.proto.StrataError;
import io.strata.proto.v1.CommitOffsetsRequest;
import io.strata.proto.v1.CommitOffsetsResponse;
import io.strata.proto.v1.DeleteGroupRequest;
import io.strata.proto.v1.DeleteGroupResponse;
import io.strata.proto.v1.DescribeGroupRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.FetchOffsetsRequest;
import io.strata.proto.v1.FetchOffsetsResponse;
import io.strata.proto.v1.GroupDescription;
import io.strata.proto.v1.GroupHeartbeatRequest;
import io.strata.proto.v1.GroupHeartbeatResponse;
import io.strata.proto.v1.GroupsGrpc;
import io.strata.proto.v1.ListGroupsRequest;
import io.strata.proto.v1.ListGroupsResponse;
import io.strata.proto.v1.ResetOffsetsRequest;
import io.strata.proto.v1.ResetOffsetsResponse;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The Groups gRPC service ({@code strata.v1.Groups}): a thin adapter to {@link GroupCoordinator},
 * which holds the rules. Each call checks the request's shape ({@link GroupRequests}), then takes
 * the coordinator (NOT_COORDINATOR with the active instance's {@code host:port} in the
 * {@code strata-leader} trailer on a standby, while loading and while starting), and answers when
 * the coordinator's future completes — no server thread waits on coordination. A
 * {@link GroupException} becomes its reason; anything else unexpected is INTERNAL_ERROR, logged with
 * the method, group and member. A CDI {@code @Singleton} {@link io.grpc.BindableService}: the
 * runtime's gRPC server serves it, through {@link ClientAddress} (the heartbeat's client host).
 */
@Singleton
public class GroupsGrpcService extends GroupsGrpc.GroupsImplBase {

    private static final Logger LOG = Logger.getLogger(GroupsGrpcService.class);

    private final Supplier<GroupCoordinator> coordinator;
    private final Supplier<Optional<String>> activeAddress;

    @Inject
    public GroupsGrpcService(GroupsNode node) {
        this(node::coordinator, node::activeAddress);
    }

    /**
     * For tests and embedding.
     *
     * @param coordinator   the instance's coordinator, or throws NOT_COORDINATOR
     * @param activeAddress the active instance's address when known and not this one
     */
    public GroupsGrpcService(Supplier<GroupCoordinator> coordinator, Supplier<Optional<String>> activeAddress) {
        this.coordinator = coordinator;
        this.activeAddress = activeAddress;
    }

    @Override
    public ServerServiceDefinition bindService() {
        return ServerInterceptors.intercept(super.bindService(), new ClientAddress());
    }

    @Override
    public void heartbeat(GroupHeartbeatRequest request, StreamObserver<GroupHeartbeatResponse> responses) {
        String host = ClientAddress.current();
        answer(responses, "Heartbeat", request.getGroupId(), request.getMemberId(), () -> GroupRequests.checkHeartbeat(request),
                c -> c.heartbeat(request, host));
    }

    @Override
    public void commitOffsets(CommitOffsetsRequest request, StreamObserver<CommitOffsetsResponse> responses) {
        answer(responses, "CommitOffsets", request.getGroupId(), request.getMemberId(), () -> GroupRequests.checkCommit(request),
                c -> c.commitOffsets(request).thenApply(done -> CommitOffsetsResponse.getDefaultInstance()));
    }

    @Override
    public void fetchOffsets(FetchOffsetsRequest request, StreamObserver<FetchOffsetsResponse> responses) {
        answer(responses, "FetchOffsets", request.getGroupId(), "", () -> GroupRequests.checkFetch(request), c -> {
            List<TopicPartition> partitions = request.getPartitionsList().stream()
                    .map(tp -> new TopicPartition(tp.getTopic(), tp.getPartition())).toList();
            return CompletableFuture.completedFuture(FetchOffsetsResponse.newBuilder()
                    .addAllOffsets(c.fetchOffsets(request.getGroupId(), partitions)).build());
        });
    }

    @Override
    public void listGroups(ListGroupsRequest request, StreamObserver<ListGroupsResponse> responses) {
        answer(responses, "ListGroups", "", "", () -> { },
                c -> CompletableFuture.completedFuture(ListGroupsResponse.newBuilder().addAllGroups(c.listGroups()).build()));
    }

    @Override
    public void describeGroup(DescribeGroupRequest request, StreamObserver<GroupDescription> responses) {
        answer(responses, "DescribeGroup", request.getGroupId(), "", () -> GroupRequests.checkGroupId(request.getGroupId()),
                c -> c.describe(request.getGroupId()));
    }

    @Override
    public void deleteGroup(DeleteGroupRequest request, StreamObserver<DeleteGroupResponse> responses) {
        answer(responses, "DeleteGroup", request.getGroupId(), "", () -> GroupRequests.checkGroupId(request.getGroupId()),
                c -> c.deleteGroup(request.getGroupId()).thenApply(done -> DeleteGroupResponse.getDefaultInstance()));
    }

    @Override
    public void resetOffsets(ResetOffsetsRequest request, StreamObserver<ResetOffsetsResponse> responses) {
        answer(responses, "ResetOffsets", request.getGroupId(), "", () -> GroupRequests.checkReset(request),
                c -> c.resetOffsets(request));
    }

    private <T> void answer(StreamObserver<T> responses, String method, String group, String member, Runnable checkShape,
                            Function<GroupCoordinator, CompletableFuture<T>> call) {
        CompletableFuture<T> result;
        try {
            checkShape.run();
            result = call.apply(coordinator.get());
        } catch (RuntimeException e) {
            responses.onError(toStatus(e, method, group, member));
            return;
        }
        result.whenComplete((value, error) -> {
            if (error != null) {
                responses.onError(toStatus(error, method, group, member));
            } else {
                responses.onNext(value);
                responses.onCompleted();
            }
        });
    }

    /**
     * The one place a failure becomes what the client sees: a {@link GroupException} its reason
     * (NOT_COORDINATOR naming the active instance when known); a status that already carries a
     * reason as it is; anything else INTERNAL_ERROR, logged with the call's context.
     */
    StatusRuntimeException toStatus(Throwable failure, String method, String group, String member) {
        Throwable f = failure;
        while ((f instanceof CompletionException || f instanceof ExecutionException) && f.getCause() != null) {
            f = f.getCause();
        }
        if (f instanceof GroupException g) {
            if (g.code() == ErrorCode.NOT_COORDINATOR) {
                return GroupsInstance.notCoordinator(g.getMessage(), activeAddress.get());
            }
            return StrataError.exception(g.code(), g.getMessage());
        }
        if (f instanceof StatusRuntimeException s && StrataError.reasonOf(s).isPresent()) {
            return s;
        }
        if (f instanceof StatusRuntimeException s) {
            // A call to coordination failed without a reason (transport, deadline): nothing is lost by retrying.
            LOG.warnf("%s of group '%s' (member '%s'): coordination did not answer: %s", method, group, member, s.getStatus());
            return StrataError.exception(ErrorCode.METADATA_UNAVAILABLE, method + " of group '" + group
                    + "': coordination did not answer (" + s.getStatus().getCode() + "); retry");
        }
        LOG.errorf(f, "%s failed unexpectedly (group '%s', member '%s')", method, group, member);
        return StrataError.exception(ErrorCode.INTERNAL_ERROR, method + " of group '" + group + "' failed in the groups coordinator: "
                + (f.getMessage() == null ? f.getClass().getSimpleName() : f.getMessage()) + " (see its log)");
    }
}
