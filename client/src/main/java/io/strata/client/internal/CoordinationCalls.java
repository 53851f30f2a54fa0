package io.strata.client.internal;

import io.grpc.stub.StreamObserver;
import io.strata.client.StrataException;
import io.strata.proto.v1.CoordinationGrpc;
import io.strata.proto.v1.ErrorCode;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Unary calls to coordination through the bootstrap addresses: a call that cannot reach one
 * address (a transport failure) is tried on the next, each address at most once per call, and
 * the next call starts at the last address that answered. Thread-safe.
 */
public final class CoordinationCalls {

    private final List<Address> bootstrap;
    private final ChannelPool channels;
    private final long requestTimeoutMs;
    private final AtomicInteger next = new AtomicInteger();

    public CoordinationCalls(List<Address> bootstrap, ChannelPool channels, long requestTimeoutMs) {
        if (bootstrap.isEmpty()) {
            throw new IllegalArgumentException("no bootstrap address");
        }
        this.bootstrap = List.copyOf(bootstrap);
        this.channels = channels;
        this.requestTimeoutMs = requestTimeoutMs;
    }

    /**
     * Calls {@code method} (e.g. {@code stub -> stub::getMetadata}) with the request timeout as its
     * deadline. The future fails with a {@link StrataException}: the server's reason, or the
     * transport failure of the last address tried.
     */
    public <Q, R> CompletableFuture<R> call(Q request,
                                            Function<CoordinationGrpc.CoordinationStub, BiConsumer<Q, StreamObserver<R>>> method) {
        CompletableFuture<R> result = new CompletableFuture<>();
        attempt(request, method, 0, result);
        return result;
    }

    private <Q, R> void attempt(Q request, Function<CoordinationGrpc.CoordinationStub, BiConsumer<Q, StreamObserver<R>>> method,
                                int attempt, CompletableFuture<R> result) {
        int index = Math.floorMod(next.get(), bootstrap.size());
        Address address = bootstrap.get(index);
        CompletableFuture<R> call;
        try {
            call = GrpcCalls.unary(request, method.apply(CoordinationGrpc.newStub(channels.channel(address))
                    .withDeadlineAfter(requestTimeoutMs, TimeUnit.MILLISECONDS)));
        } catch (RuntimeException e) {
            result.completeExceptionally(Errors.toStrataException(e, address.toString()));
            return;
        }
        call.whenComplete((answer, failure) -> {
            if (failure == null) {
                result.complete(answer);
                return;
            }
            StrataException error = Errors.toStrataException(failure, address.toString());
            boolean transport = error.reason() == ErrorCode.ERROR_CODE_UNSPECIFIED && error.retriable();
            if (transport) {
                next.set(index + 1);
            }
            if (transport && attempt + 1 < bootstrap.size()) {
                attempt(request, method, attempt + 1, result);
            } else {
                result.completeExceptionally(error);
            }
        });
    }
}
