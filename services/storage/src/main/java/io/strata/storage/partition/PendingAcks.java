package io.strata.storage.partition;

import io.grpc.StatusRuntimeException;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Produce requests with acks=all waiting for the high watermark to pass their last offset (Kafka's
 * produce purgatory). Each waiter completes exactly once: when the high watermark reaches its
 * target, when it times out, or when the partition stops being led here. Callbacks run on the
 * thread that completes them and must not block.
 */
final class PendingAcks {

    private final ScheduledExecutorService timer;
    private final PriorityQueue<Waiter> waiting = new PriorityQueue<>((a, b) -> Long.compare(a.target, b.target));

    PendingAcks(ScheduledExecutorService timer) {
        this.timer = timer;
    }

    private final class Waiter {
        final long target;
        final Runnable onCommitted;
        final Consumer<StatusRuntimeException> onFailed;
        ScheduledFuture<?> timeout;
        boolean done;

        Waiter(long target, Runnable onCommitted, Consumer<StatusRuntimeException> onFailed) {
            this.target = target;
            this.onCommitted = onCommitted;
            this.onFailed = onFailed;
        }
    }

    /**
     * Waits until the high watermark is at least {@code target} (checked at once against
     * {@code highWatermark}, so a target already reached completes on this thread).
     */
    void await(long target, Supplier<Long> highWatermark, long timeoutMs, Runnable onCommitted,
               Supplier<StatusRuntimeException> timedOut, Consumer<StatusRuntimeException> onFailed) {
        Waiter w = new Waiter(target, onCommitted, onFailed);
        synchronized (this) {
            waiting.add(w);
        }
        w.timeout = timer.schedule(() -> {
            if (take(w)) {
                w.onFailed.accept(timedOut.get());
            }
        }, timeoutMs, TimeUnit.MILLISECONDS);
        complete(highWatermark.get());
    }

    /** Completes every waiter whose target is at or below {@code highWatermark}. */
    void complete(long highWatermark) {
        List<Waiter> ready = new ArrayList<>();
        synchronized (this) {
            while (!waiting.isEmpty() && waiting.peek().target <= highWatermark) {
                Waiter w = waiting.poll();
                w.done = true;
                ready.add(w);
            }
        }
        for (Waiter w : ready) {
            cancelTimeout(w);
            w.onCommitted.run();
        }
    }

    /** Fails every waiter (leadership moved, partition deleted). */
    void failAll(StatusRuntimeException reason) {
        List<Waiter> all;
        synchronized (this) {
            all = new ArrayList<>(waiting);
            waiting.clear();
            all.forEach(w -> w.done = true);
        }
        for (Waiter w : all) {
            cancelTimeout(w);
            w.onFailed.accept(reason);
        }
    }

    synchronized int size() {
        return waiting.size();
    }

    private synchronized boolean take(Waiter w) {
        if (w.done) {
            return false;
        }
        w.done = true;
        waiting.remove(w);
        return true;
    }

    private static void cancelTimeout(Waiter w) {
        ScheduledFuture<?> t = w.timeout;
        if (t != null) {
            t.cancel(false);
        }
    }
}
