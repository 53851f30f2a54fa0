package io.strata.coordination.grpc;

import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.strata.proto.v1.CoordinationGrpc;
import io.strata.proto.v1.KeepAlive;
import io.strata.proto.v1.NodeSessionRequest;
import io.strata.proto.v1.NodeSessionResponse;
import io.strata.proto.v1.RegisterNode;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** The client side of one NodeSession stream, for tests. */
final class SessionClient implements AutoCloseable {

    private final BlockingQueue<NodeSessionResponse> responses = new LinkedBlockingQueue<>();
    private final CompletableFuture<Throwable> ended = new CompletableFuture<>();
    private final ClientCallStreamObserver<NodeSessionRequest> requests;

    SessionClient(CoordinationGrpc.CoordinationStub stub) {
        CompletableFuture<ClientCallStreamObserver<NodeSessionRequest>> call = new CompletableFuture<>();
        stub.nodeSession(new ClientResponseObserver<NodeSessionRequest, NodeSessionResponse>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<NodeSessionRequest> requestStream) {
                call.complete(requestStream);
            }

            @Override
            public void onNext(NodeSessionResponse value) {
                responses.add(value);
            }

            @Override
            public void onError(Throwable t) {
                ended.complete(t);
            }

            @Override
            public void onCompleted() {
                ended.complete(null);
            }
        });
        this.requests = call.join();
    }

    /** Sends a message and waits for its response (or fails with the stream's error). */
    NodeSessionResponse send(NodeSessionRequest request) {
        requests.onNext(request);
        try {
            while (true) {
                NodeSessionResponse response = responses.poll(50, TimeUnit.MILLISECONDS);
                if (response != null) {
                    return response;
                }
                if (ended.isDone()) {
                    Throwable error = ended.join();
                    throw error instanceof RuntimeException r ? r : new IllegalStateException("session ended", error);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    NodeSessionResponse register(RegisterNode register) {
        return send(NodeSessionRequest.newBuilder().setRegister(register).build());
    }

    NodeSessionResponse keepAlive(boolean ready) {
        return keepAlive(ready, false);
    }

    NodeSessionResponse keepAlive(boolean ready, boolean uncleanShutdown) {
        return send(NodeSessionRequest.newBuilder()
                .setKeepAlive(KeepAlive.newBuilder().setReady(ready).setUncleanShutdown(uncleanShutdown)).build());
    }

    /** The stream's end: its error, or null when the server completed it. */
    Throwable awaitEnd() {
        return ended.orTimeout(10, TimeUnit.SECONDS).join();
    }

    /** Half-closes the stream, as a node shutting down cleanly does. */
    void complete() {
        requests.onCompleted();
    }

    @Override
    public void close() {
        if (!ended.isDone()) {
            requests.cancel("test done", null);
        }
    }
}
