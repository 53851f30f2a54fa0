package io.strata.replication.controller;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.strata.proto.v1.CoordinationGrpc;
import io.strata.runtime.coordination.CoordinationChannels;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * Unary calls to coordination as futures, with a deadline; a call that fails UNAVAILABLE moves
 * the shared channels on to the next coordination instance. Every future completes.
 */
final class CoordinationCalls {

    static final long DEADLINE_MS = 10_000;

    private CoordinationCalls() {
    }

    static <T> CompletableFuture<T> call(CoordinationChannels channels, BiConsumer<CoordinationGrpc.CoordinationStub, StreamObserver<T>> call) {
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            call.accept(channels.stub().withDeadlineAfter(DEADLINE_MS, TimeUnit.MILLISECONDS), new StreamObserver<>() {
                private T value;

                @Override
                public void onNext(T v) {
                    value = v;
                }

                @Override
                public void onError(Throwable t) {
                    if (Status.fromThrowable(t).getCode() == Status.Code.UNAVAILABLE) {
                        channels.failed();
                    }
                    result.completeExceptionally(t);
                }

                @Override
                public void onCompleted() {
                    result.complete(value);
                }
            });
        } catch (RuntimeException e) {
            result.completeExceptionally(e);
        }
        return result;
    }
}
