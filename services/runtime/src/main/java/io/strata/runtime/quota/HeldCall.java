package io.strata.runtime.quota;

import io.grpc.stub.ServerCallStreamObserver;

/**
 * A server call that {@link Quotas#admit} holds back, as its handler sees it once it runs.
 * grpc-java accepts cancel, ready and close handlers only while the service method runs; a held
 * call's handler runs later, so this registers its own handlers on the call at once and passes
 * each event to the handler set later (a cancel handler set after the cancellation runs at once).
 * Everything else goes straight to the call. {@code disableAutoRequest} is not possible any more.
 */
final class HeldCall<T> extends ServerCallStreamObserver<T> {

    private final ServerCallStreamObserver<T> call;
    private volatile Runnable onCancel;
    private volatile Runnable onReady;
    private volatile Runnable onClose;
    private volatile boolean cancelled;

    /** Must be built while the service method runs. */
    HeldCall(ServerCallStreamObserver<T> call) {
        this.call = call;
        call.setOnCancelHandler(this::cancelled);
        call.setOnReadyHandler(() -> run(onReady));
        call.setOnCloseHandler(() -> run(onClose));
    }

    private void cancelled() {
        cancelled = true;
        run(onCancel);
    }

    private static void run(Runnable handler) {
        if (handler != null) {
            handler.run();
        }
    }

    @Override
    public void setOnCancelHandler(Runnable onCancelHandler) {
        this.onCancel = onCancelHandler;
        if (cancelled) {
            onCancelHandler.run();
        }
    }

    @Override
    public void setOnReadyHandler(Runnable onReadyHandler) {
        this.onReady = onReadyHandler;
    }

    @Override
    public void setOnCloseHandler(Runnable onCloseHandler) {
        this.onClose = onCloseHandler;
    }

    @Override
    public boolean isCancelled() {
        return cancelled || call.isCancelled();
    }

    @Override
    public boolean isReady() {
        return call.isReady();
    }

    @Override
    public void setCompression(String compression) {
        call.setCompression(compression);
    }

    @Override
    public void disableAutoInboundFlowControl() {
        call.disableAutoInboundFlowControl();
    }

    @Override
    public void request(int count) {
        call.request(count);
    }

    @Override
    public void setMessageCompression(boolean enable) {
        call.setMessageCompression(enable);
    }

    @Override
    public void onNext(T value) {
        call.onNext(value);
    }

    @Override
    public void onError(Throwable t) {
        call.onError(t);
    }

    @Override
    public void onCompleted() {
        call.onCompleted();
    }
}
