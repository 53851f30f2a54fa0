package io.strata.runtime.coordination;

import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.strata.proto.v1.CoordinationGrpc;
import org.jboss.logging.Logger;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * One of a role's watch streams from coordination (WatchAssignments, WatchQuotas): every value
 * goes to {@code onValue}; a stream that ends is reopened after a short back-off, for as long as
 * the role runs, so a coordination restart or outage heals by itself (each watch starts with a
 * full snapshot). Only an {@code UNAVAILABLE} failure (instance unreachable, or without its
 * metadata store) moves the role's shared channels on to the next coordination instance; any
 * other ending reopens on the same one. {@code onValue} runs on gRPC's
 * threads, one value at a time; a failure in it is logged and the stream goes on.
 *
 * @param <T> the streamed message
 */
public final class CoordinationWatch<T> implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(CoordinationWatch.class);
    static final long RECONNECT_MS = 1000;

    private final CoordinationChannels channels;
    private final ScheduledExecutorService scheduler;
    private final String what;
    private final BiConsumer<CoordinationGrpc.CoordinationStub, StreamObserver<T>> open;
    private final Consumer<T> onValue;
    private volatile boolean closed;
    private volatile ClientCallStreamObserver<?> stream;

    /**
     * @param what    how logs name the watch, e.g. "node 2 assignment watch"
     * @param open    starts the call, e.g. {@code (stub, o) -> stub.watchQuotas(request, o)}
     * @param onValue takes each streamed value
     */
    public CoordinationWatch(CoordinationChannels channels, ScheduledExecutorService scheduler, String what,
                             BiConsumer<CoordinationGrpc.CoordinationStub, StreamObserver<T>> open, Consumer<T> onValue) {
        this.channels = channels;
        this.scheduler = scheduler;
        this.what = what;
        this.open = open;
        this.onValue = onValue;
    }

    public void start() {
        open();
    }

    private void open() {
        if (closed) {
            return;
        }
        open.accept(channels.stub(), new ClientResponseObserver<Object, T>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<Object> requestStream) {
                stream = requestStream;
            }

            @Override
            public void onNext(T value) {
                try {
                    onValue.accept(value);
                } catch (RuntimeException e) {
                    LOG.errorf(e, "%s could not apply an update", what);
                }
            }

            @Override
            public void onError(Throwable t) {
                if (Status.fromThrowable(t).getCode() == Status.Code.UNAVAILABLE) {
                    channels.failed();
                }
                ended("failed: " + t.getMessage());
            }

            @Override
            public void onCompleted() {
                ended("closed by coordination");
            }
        });
    }

    private void ended(String why) {
        if (closed) {
            return;
        }
        LOG.warnf("%s %s; reopening in %d ms", what, why, RECONNECT_MS);
        try {
            scheduler.schedule(this::open, RECONNECT_MS, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            LOG.debugf("%s not reopened: shutting down", what);
        }
    }

    /** Cancels the stream; it is not reopened. */
    @Override
    public void close() {
        closed = true;
        ClientCallStreamObserver<?> s = stream;
        if (s != null) {
            s.cancel(what + " closed", null);
        }
    }
}
