package io.strata.coordination.grpc;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

import java.util.ArrayDeque;
import java.util.List;
import java.util.Queue;

/**
 * A server stream of a finite list of messages (LoadGroups), sent only while the client keeps
 * up ({@link ServerCallStreamObserver#isReady()}): the rest waits in the list, not in gRPC's
 * send buffers, however many messages there are; then the stream completes. Create it in the
 * RPC method (it installs the call's ready and cancel handlers), then {@link #send} or
 * {@link #fail}. Thread-safe; after the end or a cancel it ignores everything.
 */
final class PacedStream<T> {

    private final ServerCallStreamObserver<T> call;
    private Queue<T> remaining;
    private boolean done;

    PacedStream(StreamObserver<T> observer) {
        this.call = (ServerCallStreamObserver<T>) observer;
        call.setOnCancelHandler(this::cancelled);
        call.setOnReadyHandler(this::drain);
    }

    /** Sends {@code values} as the client reads them, then completes. The caller must not keep the list. */
    synchronized void send(List<T> values) {
        if (done || remaining != null) {
            return;
        }
        remaining = new ArrayDeque<>(values);
        drain();
    }

    synchronized void fail(Throwable status) {
        if (done) {
            return;
        }
        done = true;
        remaining = null;
        call.onError(status);
    }

    private synchronized void drain() {
        if (done || remaining == null) {
            return;
        }
        while (!remaining.isEmpty() && call.isReady()) {
            call.onNext(remaining.poll()); // a sent message leaves the queue: memory shrinks as the client reads
        }
        if (remaining.isEmpty()) {
            done = true;
            remaining = null;
            call.onCompleted();
        }
    }

    private synchronized void cancelled() {
        done = true;
        remaining = null;
    }
}
