package io.strata.runtime.coordination;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.strata.proto.StrataError;
import io.strata.proto.v1.CoordinationGrpc;
import io.strata.proto.v1.ErrorCode;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * A role's unary calls to coordination as futures, with a deadline; a call that finds its
 * coordination instance unusable ({@link #instanceUnusable}) moves the role's shared channels on to
 * the next one. Every future completes.
 */
public final class CoordinationCalls {

    private CoordinationCalls() {
    }

    /**
     * Starts the call under the root gRPC context, not the caller's: a role often calls coordination
     * while it serves a call of its own (a heartbeat whose group record must be stored), and the
     * answer to that call cancels its context — which would cancel this call too, although its
     * result is awaited by others (the groups role writes one record for several heartbeats).
     *
     * @param deadlineMs how long the call may take
     * @param call       starts the call, e.g. {@code (stub, o) -> stub.describeTopic(request, o)}
     * @return the answer, or the call's failure
     */
    public static <T> CompletableFuture<T> call(CoordinationChannels channels, long deadlineMs,
                                                BiConsumer<CoordinationGrpc.CoordinationStub, StreamObserver<T>> call) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Context previous = Context.ROOT.attach();
        try {
            call.accept(channels.stub().withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS), new StreamObserver<>() {
                private T value;

                @Override
                public void onNext(T v) {
                    value = v;
                }

                @Override
                public void onError(Throwable t) {
                    if (instanceUnusable(t)) {
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
        } finally {
            Context.ROOT.detach(previous);
        }
        return result;
    }

    /**
     * Whether a failure says the coordination instance asked cannot serve (unreachable, or without
     * its metadata store), so the next call should go to another one. A refusal such as
     * NOT_COORDINATOR travels as UNAVAILABLE too, but another instance would answer the same.
     */
    public static boolean instanceUnusable(Throwable t) {
        if (Status.fromThrowable(t).getCode() != Status.Code.UNAVAILABLE) {
            return false;
        }
        ErrorCode reason = StrataError.reasonOf(t).orElse(null);
        return reason == null || reason == ErrorCode.METADATA_UNAVAILABLE;
    }
}
