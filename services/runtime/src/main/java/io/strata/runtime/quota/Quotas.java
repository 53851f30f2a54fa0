package io.strata.runtime.quota;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.strata.proto.v1.QuotaSnapshot;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * The client-id quotas one storage node or ingestion instance enforces (docs/QUOTAS.md): the
 * rates (its config defaults under coordination's latest {@link QuotaSnapshot}), a
 * {@link QuotaTracker} per type, and the server side of throttling.
 *
 * <p>How a throttled client is slowed, never failed (Kafka's KIP-219): a request's answer is
 * sent as soon as it is ready and carries {@code throttle_time_ms}, the time until the client's
 * bucket is back at zero; a client that honours it waits that long before its next request. A
 * request that arrives while its client id is still throttled (a client that does not wait, or
 * many requests in parallel) is held for the rest of the throttle time before it is handled —
 * Kafka mutes the connection instead; gRPC multiplexes clients, so we hold the call. Holding
 * takes no thread: the call is scheduled on {@code scheduler} and then run on {@code executor}
 * (the gRPC server's call executor); when the client cancels it meanwhile, its timer is cancelled
 * too, so nothing of it stays queued (given a scheduler that removes cancelled tasks). The hold is
 * at most {@link ByteRateQuota#MAX_THROTTLE_MS}.
 *
 * <p>Shutdown: {@link #close} answers every held call {@code UNAVAILABLE} ("shutting down") and
 * runs every task of {@link #later} at once, so no client waits for a timer that will never
 * fire; afterwards calls are no longer held. Close it before the scheduler shuts down.
 *
 * <p>Thread-safe; {@link #apply} may run on any thread.
 */
public final class Quotas implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Quotas.class);
    /** How often buckets of idle client ids are forgotten. */
    static final long FORGET_IDLE_EVERY_MS = 60_000;

    private final QuotaDefaults defaults;
    private final ScheduledExecutorService scheduler;
    private final Executor executor;
    private final QuotaTracker producer;
    private final QuotaTracker consumer;
    private final ScheduledFuture<?> forgetIdle;
    private final Set<Waiting> waiting = ConcurrentHashMap.newKeySet();
    private volatile ClientQuotas current;
    private volatile boolean closed;

    /**
     * @param defaults  this node's config defaults
     * @param clock     what the buckets read time from
     * @param scheduler times held calls and the idle sweep; should remove cancelled tasks
     *                  ({@code ScheduledThreadPoolExecutor.setRemoveOnCancelPolicy(true)}), else a
     *                  cancelled held call stays queued until its time
     * @param executor  runs held calls once their time is up
     */
    public Quotas(QuotaDefaults defaults, Clock clock, ScheduledExecutorService scheduler, Executor executor) {
        this.defaults = defaults;
        this.scheduler = scheduler;
        this.executor = executor;
        this.current = ClientQuotas.of(defaults);
        this.producer = new QuotaTracker(QuotaType.PRODUCER, id -> current.rate(QuotaType.PRODUCER, id), clock);
        this.consumer = new QuotaTracker(QuotaType.CONSUMER, id -> current.rate(QuotaType.CONSUMER, id), clock);
        this.forgetIdle = scheduler.scheduleWithFixedDelay(() -> {
            producer.forgetIdle();
            consumer.forgetIdle();
        }, FORGET_IDLE_EVERY_MS, FORGET_IDLE_EVERY_MS, TimeUnit.MILLISECONDS);
    }

    /** Takes coordination's quotas; the next request of every client id uses them. */
    public void apply(QuotaSnapshot snapshot) {
        ClientQuotas next = ClientQuotas.of(defaults, snapshot);
        current = next;
        LOG.debugf("quotas at revision %d: %d set in coordination", next.revision(), snapshot.getQuotasCount());
    }

    /** The rates in force now. */
    public ClientQuotas current() {
        return current;
    }

    public QuotaTracker producer() {
        return producer;
    }

    public QuotaTracker consumer() {
        return consumer;
    }

    /**
     * Hands {@code call} to {@code handler} now when {@code clientId} is not throttled by
     * {@code tracker}; else after the rest of its throttle time, unless the client cancelled the
     * call by then (its timer is then cancelled). A held call reaches the handler wrapped so that
     * it may still set cancel and ready handlers (grpc-java takes those only while the service
     * method runs). Held calls are answered {@code UNAVAILABLE} when this closes first.
     */
    public <T> void admit(QuotaTracker tracker, String clientId, StreamObserver<T> call, Consumer<StreamObserver<T>> handler) {
        long holdMs = closed ? 0 : tracker.throttleMs(clientId);
        if (holdMs <= 0) {
            handler.accept(call);
            return;
        }
        HeldCall<T> server = call instanceof ServerCallStreamObserver<T> s ? new HeldCall<>(s) : null;
        StreamObserver<T> held = server != null ? server : call;
        Waiting w = new Waiting(() -> {
            if (server == null || !server.isCancelled()) {
                handler.accept(held);
            }
        }, () -> shuttingDown(held));
        if (server != null) {
            server.setOnCancelHandler(w::cancel); // before the timer starts; the handler sets its own once it runs
        }
        schedule(holdMs, w);
    }

    private static void shuttingDown(StreamObserver<?> held) {
        try {
            held.onError(Status.UNAVAILABLE.withDescription("the server is shutting down; the request was not handled,"
                    + " retry it").asRuntimeException());
        } catch (RuntimeException e) {
            LOG.debugf("a held call could not be answered: %s", e.getMessage());
        }
    }

    /** Runs {@code task} on the executor after {@code delayMs} (at once when shutting down). */
    public void later(long delayMs, Runnable task) {
        schedule(delayMs, new Waiting(task, task));
    }

    /** A task waiting for its time; it runs once: on time, or at close, or never once cancelled. */
    private final class Waiting {
        private final Runnable onTime;
        private final Runnable onClose;
        private final AtomicBoolean done = new AtomicBoolean();
        private volatile ScheduledFuture<?> timer;

        Waiting(Runnable onTime, Runnable onClose) {
            this.onTime = onTime;
            this.onClose = onClose;
        }

        private boolean claim() {
            if (!done.compareAndSet(false, true)) {
                return false;
            }
            waiting.remove(this);
            return true;
        }

        void due() {
            dispatch(() -> {
                if (claim()) {
                    onTime.run();
                }
            });
        }

        void cancel() {
            if (claim()) {
                ScheduledFuture<?> t = timer;
                if (t != null) {
                    t.cancel(false);
                }
            }
        }

        void close() {
            if (claim()) {
                ScheduledFuture<?> t = timer;
                if (t != null) {
                    t.cancel(false);
                }
                dispatch(onClose);
            }
        }
    }

    private void schedule(long delayMs, Waiting w) {
        waiting.add(w);
        try {
            w.timer = scheduler.schedule(w::due, delayMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) { // the scheduler is gone: as at close
            w.close();
            waiting.remove(w);
            return;
        }
        if (w.done.get()) { // the client cancelled before the timer was set
            waiting.remove(w);
            w.timer.cancel(false);
        } else if (closed) { // close() ran meanwhile and may not have seen it
            w.close();
        }
    }

    private void dispatch(Runnable task) {
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            task.run();
        }
    }

    /** How many held calls and delayed tasks wait for their time. */
    public int waiting() {
        return waiting.size();
    }

    /**
     * Stops holding calls: answers the held ones {@code UNAVAILABLE}, runs the delayed tasks now,
     * and stops the idle sweep. Call it before shutting the scheduler down.
     */
    @Override
    public void close() {
        closed = true;
        forgetIdle.cancel(false);
        for (Waiting w : List.copyOf(waiting)) {
            w.close();
        }
    }
}
