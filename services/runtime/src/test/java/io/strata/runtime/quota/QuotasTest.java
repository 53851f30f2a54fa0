package io.strata.runtime.quota;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.strata.runtime.testing.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Holding calls of throttled client ids: cancellation and shutdown. */
@Timeout(10)
class QuotasTest {

    /** A server call as grpc-java hands it to a service method; {@link #cancel} is the client giving up. */
    private static final class FakeCall extends ServerCallStreamObserver<String> {
        final CompletableFuture<Throwable> error = new CompletableFuture<>();
        private volatile Runnable onCancel;
        private volatile boolean cancelled;

        void cancel() {
            cancelled = true;
            Runnable r = onCancel;
            if (r != null) {
                r.run();
            }
        }

        @Override public boolean isCancelled() { return cancelled; }
        @Override public void setOnCancelHandler(Runnable handler) { onCancel = handler; }
        @Override public void setCompression(String compression) { }
        @Override public boolean isReady() { return true; }
        @Override public void setOnReadyHandler(Runnable handler) { }
        @Override public void setOnCloseHandler(Runnable handler) { }
        @Override public void disableAutoInboundFlowControl() { }
        @Override public void request(int count) { }
        @Override public void setMessageCompression(boolean enable) { }
        @Override public void onNext(String value) { }
        @Override public void onError(Throwable t) { error.complete(t); }
        @Override public void onCompleted() { }
    }

    private final MutableClock clock = new MutableClock();
    private final ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);
    private final Quotas quotas;

    QuotasTest() {
        scheduler.setRemoveOnCancelPolicy(true);
        quotas = new Quotas(new QuotaDefaults(1_000, 0), clock, scheduler, Runnable::run);
    }

    @AfterEach
    void stop() {
        quotas.close();
        scheduler.shutdownNow();
    }

    /** Leaves {@code clientId} throttled for the longest time, 10 s (the test clock stands still). */
    private void overdraw(String clientId) {
        assertThat(quotas.producer().record(clientId, 100_000)).isEqualTo(ByteRateQuota.MAX_THROTTLE_MS);
    }

    @Test
    void aHeldCallTheClientCancelsIsNeverHandledAndLeavesNothingQueued() {
        overdraw("a");
        int queuedBefore = scheduler.getQueue().size(); // the idle sweep
        FakeCall call = new FakeCall();
        AtomicInteger handled = new AtomicInteger();
        quotas.admit(quotas.producer(), "a", call, c -> handled.incrementAndGet());
        assertThat(quotas.waiting()).isEqualTo(1);
        assertThat(scheduler.getQueue()).hasSize(queuedBefore + 1);

        call.cancel();

        assertThat(quotas.waiting()).isZero();
        assertThat(scheduler.getQueue()).hasSize(queuedBefore);
        assertThat(handled).hasValue(0);
    }

    @Test
    void closingAnswersHeldCallsUnavailableAndRunsDelayedTasksAtOnce() throws Exception {
        overdraw("a");
        FakeCall call = new FakeCall();
        AtomicInteger handled = new AtomicInteger();
        AtomicInteger delayed = new AtomicInteger();
        quotas.admit(quotas.producer(), "a", call, c -> handled.incrementAndGet());
        quotas.later(60_000, delayed::incrementAndGet);

        quotas.close();

        assertThat(Status.fromThrowable(call.error.get(5, TimeUnit.SECONDS)).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(call.error.get().getMessage()).contains("shutting down");
        assertThat(handled).hasValue(0);
        assertThat(delayed).hasValue(1);
        assertThat(quotas.waiting()).isZero();
        // After close nothing is held any more: a throttled client's call is handled at once.
        quotas.admit(quotas.producer(), "a", new FakeCall(), c -> handled.incrementAndGet());
        assertThat(handled).hasValue(1);
    }

    @Test
    void aHeldCallIsHandledOnceItsTimeIsUp() throws Exception {
        quotas.producer().record("b", 1_050); // 50 ms owed
        CompletableFuture<Boolean> handled = new CompletableFuture<>();
        quotas.admit(quotas.producer(), "b", new FakeCall(), c -> handled.complete(true));
        assertThat(handled.get(5, TimeUnit.SECONDS)).isTrue();
        assertThat(quotas.waiting()).isZero();
    }
}
