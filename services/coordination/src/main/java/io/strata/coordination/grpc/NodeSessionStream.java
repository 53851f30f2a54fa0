package io.strata.coordination.grpc;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.strata.coordination.CoordinationException;
import io.strata.coordination.nodes.NodeRegistry;
import io.strata.coordination.nodes.Registration;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.NodeSessionRequest;
import io.strata.proto.v1.NodeSessionResponse;

import java.util.function.BooleanSupplier;

/**
 * One NodeSession stream: the first message registers, every later one keeps the lease
 * alive (and updates readiness), each gets a response. The stream's end — the client
 * completing, failing or cancelling, or an error this side sends — revokes the lease, so the
 * node is gone at once rather than after its timeout. One exception: a stream cut because
 * this coordination instance is shutting down leaves the lease to expire, so that nodes
 * re-registering with another instance (or this one, restarted) within their timeout never
 * look dead. gRPC delivers a call's messages one at a time; the lock only orders them
 * against the cancel handler.
 */
final class NodeSessionStream implements StreamObserver<NodeSessionRequest> {

    private final NodeRegistry registry;
    private final BooleanSupplier shuttingDown;
    private final ServerCallStreamObserver<NodeSessionResponse> responses;
    private Registration registration;
    private boolean over;

    NodeSessionStream(NodeRegistry registry, BooleanSupplier shuttingDown, StreamObserver<NodeSessionResponse> responses) {
        this.registry = registry;
        this.shuttingDown = shuttingDown;
        this.responses = (ServerCallStreamObserver<NodeSessionResponse>) responses;
        this.responses.setOnCancelHandler(() -> cut());
    }

    @Override
    public synchronized void onNext(NodeSessionRequest request) {
        if (over) {
            return;
        }
        try {
            switch (request.getKindCase()) {
                case REGISTER -> {
                    if (registration != null) {
                        throw new CoordinationException(ErrorCode.INVALID_REQUEST, "this session already registered "
                                + registration.key() + "; send keep_alive messages (a new registration needs a new stream)");
                    }
                    registration = registry.register(request.getRegister());
                }
                case KEEP_ALIVE -> {
                    if (registration == null) {
                        throw new CoordinationException(ErrorCode.INVALID_REQUEST,
                                "the first message of a node session must be register, not keep_alive");
                    }
                    registration = registry.keepAlive(registration, request.getKeepAlive().getReady(),
                            request.getKeepAlive().getUncleanShutdown());
                }
                case KIND_NOT_SET -> throw new CoordinationException(ErrorCode.INVALID_REQUEST,
                        "empty session message: send register first, then keep_alive");
            }
            responses.onNext(NodeSessionResponse.newBuilder()
                    .setLeaseId(registration.leaseId())
                    .setSessionTimeoutMs((int) registration.ttl().toMillis())
                    .build());
        } catch (RuntimeException e) {
            end(GrpcErrors.toStatus(e, "NodeSession " + (registration != null ? registration.key() : "registration")));
        }
    }

    @Override
    public void onError(Throwable t) {
        cut();
    }

    /** The stream broke (client gone, or this server stopping). */
    private synchronized void cut() {
        if (!over && registration != null && shuttingDown.getAsBoolean()) {
            over = true;
            return;
        }
        end(null);
    }

    @Override
    public synchronized void onCompleted() {
        if (!over) {
            end(null);
            responses.onCompleted();
        }
    }

    /** Ends the session once: revokes the lease, and sends {@code error} when there is one. */
    private synchronized void end(Throwable error) {
        if (over) {
            return;
        }
        over = true;
        if (registration != null) {
            try {
                registry.end(registration);
            } catch (RuntimeException e) {
                // The lease expires by itself; nothing else to undo.
            }
        }
        if (error != null) {
            responses.onError(error);
        }
    }
}
