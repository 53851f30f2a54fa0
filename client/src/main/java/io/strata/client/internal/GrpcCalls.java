package io.strata.client.internal;

import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;

import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;

/** Unary calls of the classic async stubs as {@link CompletableFuture}s. */
public final class GrpcCalls {

    private GrpcCalls() {
    }

    /**
     * Starts {@code method(request, observer)} and returns a future of its single answer.
     * Cancelling the future cancels the call. The future completes on a gRPC executor thread.
     *
     * @param method e.g. {@code StorageGrpc.newStub(channel).withDeadlineAfter(..)::fetch}
     */
    public static <Q, R> CompletableFuture<R> unary(Q request, BiConsumer<Q, StreamObserver<R>> method) {
        CompletableFuture<R> future = new CompletableFuture<>();
        try {
            method.accept(request, new ClientResponseObserver<Q, R>() {
                @Override
                public void beforeStart(ClientCallStreamObserver<Q> call) {
                    future.whenComplete((ignored, failure) -> {
                        if (future.isCancelled()) {
                            call.cancel("cancelled by the client", null);
                        }
                    });
                }

                @Override
                public void onNext(R value) {
                    future.complete(value);
                }

                @Override
                public void onError(Throwable t) {
                    future.completeExceptionally(t);
                }

                @Override
                public void onCompleted() {
                    if (!future.isDone()) {
                        future.completeExceptionally(Status.INTERNAL.withDescription("call ended without an answer")
                                .asRuntimeException());
                    }
                }
            });
        } catch (RuntimeException e) {
            future.completeExceptionally(e);
        }
        return future;
    }
}
