package io.strata.ingestion.quota;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.strata.ingestion.config.IngestionConfig;
import io.strata.proto.v1.PublishRequest;
import io.strata.proto.v1.PublishResponse;
import io.strata.proto.v1.QuotaSnapshot;
import io.strata.proto.v1.WatchQuotasRequest;
import io.strata.runtime.GrpcServer;
import io.strata.runtime.HostPort;
import io.strata.runtime.coordination.CoordinationChannels;
import io.strata.runtime.coordination.CoordinationWatch;
import io.strata.runtime.quota.QuotaDefaults;
import io.strata.runtime.quota.QuotaTracker;
import io.strata.runtime.quota.Quotas;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.ConfigProvider;

import java.time.Clock;
import java.util.List;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * The producer quota of this ingestion instance (docs/QUOTAS.md): bytes per second each client
 * id may publish to it — its {@code quota.producer.default} config under the quotas coordination
 * streams (WatchQuotas, followed for as long as the instance runs). What counts is the size of
 * each answered Publish request, and of each PublishStream message as it arrives; refused
 * requests count nothing.
 *
 * <p>A throttled client is slowed, never failed: the answer carries {@code throttle_time_ms}; a
 * Publish arriving while its client id is throttled is held for the rest of that time (no thread
 * waits, see {@link Quotas}); in a PublishStream the next message is read only once the throttle
 * time after the previous one has passed (gRPC flow control then slows the sender).
 *
 * <p>Shutdown, before the gRPC server stops taking calls: held Publish calls are answered
 * {@code UNAVAILABLE} and paused PublishStreams read on ({@link Quotas#close}), then the timer stops.
 */
@Singleton
public class PublishQuotas {

    private final IngestionConfig config;
    private final GrpcServer grpcServer;
    private final ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "strata-ingestion-quota-timer");
        t.setDaemon(true);
        return t;
    });
    private final Quotas quotas;
    private volatile CoordinationChannels channels;
    private volatile CoordinationWatch<QuotaSnapshot> watch;

    public PublishQuotas(IngestionConfig config, GrpcServer grpcServer) {
        this.config = config;
        this.grpcServer = grpcServer;
        scheduler.setRemoveOnCancelPolicy(true); // a held call its client gave up on leaves nothing queued
        this.quotas = new Quotas(QuotaDefaults.from(ConfigProvider.getConfig()), Clock.systemUTC(), scheduler, grpcServer::execute);
    }

    void onStart(@Observes @Priority(GrpcServer.STARTUP_PRIORITY + 20) StartupEvent event) {
        start();
    }

    void onShutdown(@Observes @Priority(GrpcServer.SHUTDOWN_PRIORITY - 20) ShutdownEvent event) {
        stop();
    }

    /** Follows coordination's quotas. */
    public synchronized void start() {
        if (watch != null) {
            return;
        }
        List<HostPort> coordination = config.coordinationEndpoints()
                .orElseGet(() -> List.of(new HostPort("127.0.0.1", grpcServer.port())));
        channels = new CoordinationChannels(coordination);
        watch = new CoordinationWatch<>(channels, scheduler, "ingestion " + config.instanceId() + " quota watch",
                (stub, observer) -> stub.watchQuotas(WatchQuotasRequest.getDefaultInstance(), observer), quotas::apply);
        watch.start();
    }

    /** Answers the held calls and resumes the paused streams ({@link Quotas#close}), then stops the timer. */
    public synchronized void stop() {
        quotas.close();
        if (watch != null) {
            watch.close();
            channels.close();
        }
        scheduler.shutdownNow();
    }

    /** The rates and buckets (tests read them). */
    public Quotas quotas() {
        return quotas;
    }

    /**
     * Runs {@code publish} once the request's client id may be served (at once, or after the rest
     * of its throttle time); its answer counts the request's size and carries the throttle time.
     */
    public void publish(PublishRequest request, StreamObserver<PublishResponse> responses,
                        BiConsumer<PublishRequest, StreamObserver<PublishResponse>> publish) {
        QuotaTracker producer = quotas.producer();
        String clientId = request.getClientId();
        long bytes = request.getSerializedSize();
        quotas.admit(producer, clientId, responses, call -> publish.accept(request,
                new Stamped(call, answer -> producer.record(clientId, bytes))));
    }

    /**
     * Opens a PublishStream through {@code open} with its messages metered: each counts its size
     * as it arrives, and the next is read only after the throttle time the last one left; the
     * answer carries the throttle time left then.
     */
    public StreamObserver<PublishRequest> publishStream(StreamObserver<PublishResponse> responses,
                                                        Function<StreamObserver<PublishResponse>, StreamObserver<PublishRequest>> open) {
        QuotaTracker producer = quotas.producer();
        ServerCallStreamObserver<PublishResponse> call = (ServerCallStreamObserver<PublishResponse>) responses;
        call.disableAutoRequest();
        AtomicReference<String> lastClientId = new AtomicReference<>("");
        StreamObserver<PublishRequest> inner = open.apply(new Stamped(call, answer -> producer.throttleMs(lastClientId.get())));
        call.request(1);
        return new StreamObserver<>() {
            @Override
            public void onNext(PublishRequest request) {
                lastClientId.set(request.getClientId());
                long throttle = producer.record(request.getClientId(), request.getSerializedSize());
                inner.onNext(request);
                if (throttle > 0) {
                    quotas.later(throttle, () -> requestNext(call));
                } else {
                    requestNext(call);
                }
            }

            @Override
            public void onError(Throwable t) {
                inner.onError(t);
            }

            @Override
            public void onCompleted() {
                inner.onCompleted();
            }
        };
    }

    private static void requestNext(ServerCallStreamObserver<PublishResponse> call) {
        try {
            call.request(1);
        } catch (RuntimeException e) {
            // The call is over (cancelled or answered): nothing more to read.
        }
    }

    /** The call's observer, with {@code throttle_time_ms} set on the answer from {@code throttle} (ms). */
    private static final class Stamped extends ServerCallStreamObserver<PublishResponse> {
        private final StreamObserver<PublishResponse> delegate;
        private final ServerCallStreamObserver<PublishResponse> call;
        private final Function<PublishResponse, Long> throttle;

        @SuppressWarnings("unchecked")
        Stamped(StreamObserver<PublishResponse> delegate, Function<PublishResponse, Long> throttle) {
            this.delegate = delegate;
            this.call = delegate instanceof ServerCallStreamObserver<?> s ? (ServerCallStreamObserver<PublishResponse>) s : null;
            this.throttle = throttle;
        }

        @Override
        public void onNext(PublishResponse answer) {
            int ms = (int) Math.min(Integer.MAX_VALUE, throttle.apply(answer));
            delegate.onNext(ms == 0 ? answer : answer.toBuilder().setThrottleTimeMs(ms).build());
        }

        @Override
        public void onError(Throwable t) {
            delegate.onError(t);
        }

        @Override
        public void onCompleted() {
            delegate.onCompleted();
        }

        @Override
        public boolean isCancelled() {
            return call != null && call.isCancelled();
        }

        @Override
        public void setOnCancelHandler(Runnable onCancelHandler) {
            if (call != null) {
                call.setOnCancelHandler(onCancelHandler);
            }
        }

        @Override
        public void setCompression(String compression) {
            if (call != null) {
                call.setCompression(compression);
            }
        }

        @Override
        public boolean isReady() {
            return call == null || call.isReady();
        }

        @Override
        public void setOnReadyHandler(Runnable onReadyHandler) {
            if (call != null) {
                call.setOnReadyHandler(onReadyHandler);
            }
        }

        @Override
        public void disableAutoInboundFlowControl() {
            if (call != null) {
                call.disableAutoInboundFlowControl();
            }
        }

        @Override
        public void request(int count) {
            if (call != null) {
                call.request(count);
            }
        }

        @Override
        public void setMessageCompression(boolean enable) {
            if (call != null) {
                call.setMessageCompression(enable);
            }
        }

        @Override
        public void setOnCloseHandler(Runnable onCloseHandler) {
            if (call != null) {
                call.setOnCloseHandler(onCloseHandler);
            }
        }
    }
}
