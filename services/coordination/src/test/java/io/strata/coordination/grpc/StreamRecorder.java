package io.strata.coordination.grpc;

import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** Records a server stream's messages and end, and can cancel it. */
final class StreamRecorder<Q, T> implements ClientResponseObserver<Q, T> {

    final List<T> values = new CopyOnWriteArrayList<>();
    final CompletableFuture<Throwable> ended = new CompletableFuture<>();
    private volatile ClientCallStreamObserver<Q> call;

    @Override
    public void beforeStart(ClientCallStreamObserver<Q> requestStream) {
        this.call = requestStream;
    }

    @Override
    public void onNext(T value) {
        values.add(value);
    }

    @Override
    public void onError(Throwable t) {
        ended.complete(t);
    }

    @Override
    public void onCompleted() {
        ended.complete(null);
    }

    T last() {
        return values.get(values.size() - 1);
    }

    /** The end of the stream: its error, or null when it completed. */
    Throwable awaitEnd() {
        return ended.orTimeout(10, TimeUnit.SECONDS).join();
    }

    void cancel() {
        call.cancel("test cancels", null);
    }
}
