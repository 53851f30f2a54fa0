package io.strata.coordination.grpc;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

import java.util.ArrayList;
import java.util.List;

/**
 * A server stream of states where only the newest matters (assignment snapshots, leadership
 * events): a value offered while the client is not reading replaces the one still waiting,
 * so a slow client costs one message of memory, never a growing buffer. Thread-safe; once
 * completed, failed or cancelled, it ignores everything.
 */
final class LatestValueStream<T> {

    private final ServerCallStreamObserver<T> call;
    private final List<Runnable> onCancel = new ArrayList<>();
    private T pending;
    private boolean done;
    private boolean cancelled;

    LatestValueStream(StreamObserver<T> observer) {
        this.call = (ServerCallStreamObserver<T>) observer;
        call.setOnCancelHandler(this::cancelled);
        call.setOnReadyHandler(this::drain);
    }

    /** Runs {@code action} when the client cancels (at once if it already has). */
    void whenCancelled(Runnable action) {
        synchronized (this) {
            if (!cancelled) {
                onCancel.add(action);
                return;
            }
        }
        action.run();
    }

    synchronized void offer(T value) {
        if (done) {
            return;
        }
        pending = value;
        drain();
    }

    synchronized void complete() {
        if (done) {
            return;
        }
        done = true;
        if (pending != null) {
            call.onNext(pending);
            pending = null;
        }
        call.onCompleted();
    }

    synchronized void fail(Throwable status) {
        if (done) {
            return;
        }
        done = true;
        pending = null;
        call.onError(status);
    }

    private synchronized void drain() {
        if (!done && pending != null && call.isReady()) {
            call.onNext(pending);
            pending = null;
        }
    }

    private void cancelled() {
        List<Runnable> actions;
        synchronized (this) {
            cancelled = true;
            done = true;
            pending = null;
            actions = List.copyOf(onCancel);
            onCancel.clear();
        }
        actions.forEach(Runnable::run);
    }
}
