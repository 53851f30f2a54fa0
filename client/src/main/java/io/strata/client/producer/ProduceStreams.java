package io.strata.client.producer;

import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.strata.client.CommonClientConfigs;
import io.strata.client.StrataException;
import io.strata.client.internal.Address;
import io.strata.client.internal.ChannelPool;
import io.strata.client.internal.Errors;
import io.strata.client.internal.GrpcCalls;
import io.strata.proto.StrataError;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.ProduceError;
import io.strata.proto.v1.ProduceRequest;
import io.strata.proto.v1.ProduceResponse;
import io.strata.proto.v1.ProduceStreamRequest;
import io.strata.proto.v1.ProduceStreamResponse;
import io.strata.proto.v1.StorageGrpc;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where the producer's requests travel: one {@code ProduceStream} per leader node, on which the
 * node appends requests strictly in the order they were sent, so that several requests of one
 * partition may be in flight at once (as on a Kafka connection). Requests carry correlation ids;
 * answers may come in any order.
 *
 * <p>Each request's future completes exactly once: with its answer; with a
 * {@link StrataException} carrying the reason the node gave for that request alone (the stream
 * goes on); with {@code REQUEST_TIMED_OUT} (retriable) once {@code request.timeout.ms} passed
 * without an answer ({@link #expire}, driven by the sender's loop and clock; a late answer is
 * ignored); or with a retriable {@code UNAVAILABLE} when its stream broke — the node died, shut
 * down, reset the connection, or stopped answering keepalive pings. A broken stream is dropped and
 * the next request to the node opens a new one.
 *
 * <p>A node that does not serve {@code ProduceStream} (it answers {@code UNIMPLEMENTED}: an older
 * version) gets unary {@code Produce} calls for {@link #UNARY_FALLBACK_MS}, then the stream is
 * tried again. Unary calls are not ordered with each other, so {@link #pipelines} tells the
 * sender to keep one request per partition in flight to such a node.
 *
 * <p>Threading: {@link #send}, {@link #expire}, {@link #close} and {@link #cancel} are called by
 * the sender thread (the order of its sends on a stream is the order the node appends); futures
 * complete on gRPC threads.
 */
final class ProduceStreams {

    private static final System.Logger LOG = System.getLogger(ProduceStreams.class.getName());
    /** How long a node that answered ProduceStream with UNIMPLEMENTED gets unary calls before the stream is tried again. */
    static final long UNARY_FALLBACK_MS = 60_000;

    private final ChannelPool channels;
    private final Clock clock;
    private final long requestTimeoutMs;
    private final Map<Address, NodeStream> streams = new ConcurrentHashMap<>();
    private final Map<Address, Long> unaryUntilMs = new ConcurrentHashMap<>();
    private final Set<CompletableFuture<ProduceResponse>> unaryCalls = ConcurrentHashMap.newKeySet();
    private final AtomicLong correlationIds = new AtomicLong();

    /** @param requestTimeoutMs how long each request may go unanswered ({@code request.timeout.ms}) */
    ProduceStreams(ChannelPool channels, Clock clock, long requestTimeoutMs) {
        this.channels = channels;
        this.clock = clock;
        this.requestTimeoutMs = requestTimeoutMs;
    }

    /** Whether requests to {@code node} travel on an ordered stream (else one per partition may be in flight). */
    boolean pipelines(Address node) {
        Long until = unaryUntilMs.get(node);
        return until == null || until <= clock.millis();
    }

    /** Sends {@code request} to {@code node}: on its stream, or as a unary call to a node without one. */
    CompletableFuture<ProduceResponse> send(Address node, ProduceRequest request) {
        if (!pipelines(node)) {
            return sendUnary(node, request);
        }
        NodeStream stream = streams.get(node);
        if (stream == null || stream.broken) {
            stream = new NodeStream(node);
            streams.put(node, stream);
            stream.open();
        }
        return stream.send(request, clock.millis() + requestTimeoutMs);
    }

    private CompletableFuture<ProduceResponse> sendUnary(Address node, ProduceRequest request) {
        CompletableFuture<ProduceResponse> call;
        try {
            call = GrpcCalls.unary(request, StorageGrpc.newStub(channels.channel(node))
                    .withDeadlineAfter(requestTimeoutMs, TimeUnit.MILLISECONDS)::produce);
        } catch (RuntimeException e) {
            call = CompletableFuture.failedFuture(e);
        }
        CompletableFuture<ProduceResponse> tracked = call;
        unaryCalls.add(tracked);
        CompletableFuture<ProduceResponse> out = new CompletableFuture<>();
        tracked.whenComplete((answer, failure) -> {
            unaryCalls.remove(tracked);
            if (failure == null) {
                out.complete(answer);
            } else {
                out.completeExceptionally(Errors.toStrataException(failure, node.toString()));
            }
        });
        return out;
    }

    /**
     * Fails every streamed request older than {@code request.timeout.ms} with
     * {@code REQUEST_TIMED_OUT}.
     *
     * @return ms until the next request would time out; {@link Long#MAX_VALUE} when none is in flight
     */
    long expire(long nowMs) {
        long next = Long.MAX_VALUE;
        for (NodeStream stream : streams.values()) {
            next = Math.min(next, stream.expire(nowMs));
        }
        return next;
    }

    /** Half-closes every stream: the nodes end them once they have answered (call with nothing in flight). */
    void close() {
        for (NodeStream stream : streams.values()) {
            stream.halfClose();
        }
        streams.clear();
    }

    /** Cancels every stream and call; what is in flight fails (the producer closes at once). */
    void cancel() {
        for (NodeStream stream : List.copyOf(streams.values())) {
            stream.cancel();
        }
        unaryCalls.forEach(call -> call.cancel(false));
    }

    /** A request on a stream, waiting for its answer. */
    private record Pending(CompletableFuture<ProduceResponse> future, long deadlineMs) {
    }

    /** One node's stream and the requests in flight on it. */
    private final class NodeStream implements ClientResponseObserver<ProduceStreamRequest, ProduceStreamResponse> {
        private final Address node;
        private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
        private ClientCallStreamObserver<ProduceStreamRequest> requests; // guarded by this
        private volatile boolean broken;

        NodeStream(Address node) {
            this.node = node;
        }

        void open() {
            try {
                StorageGrpc.newStub(channels.channel(node)).produceStream(this);
            } catch (RuntimeException e) {
                onError(e);
            }
        }

        @Override
        public synchronized void beforeStart(ClientCallStreamObserver<ProduceStreamRequest> call) {
            this.requests = call;
        }

        CompletableFuture<ProduceResponse> send(ProduceRequest request, long deadlineMs) {
            long id = correlationIds.incrementAndGet();
            Pending p = new Pending(new CompletableFuture<>(), deadlineMs);
            pending.put(id, p);
            if (broken) { // broke after the check in send(): failed with the others, or here
                fail(id, unavailable("the produce stream to " + node + " broke", null));
                return p.future();
            }
            try {
                synchronized (this) {
                    requests.onNext(ProduceStreamRequest.newBuilder().setCorrelationId(id).setRequest(request).build());
                }
            } catch (RuntimeException e) { // the call ended meanwhile
                fail(id, unavailable("the produce stream to " + node + " ended: " + e.getMessage(), e));
            }
            return p.future();
        }

        private void fail(long id, StrataException error) {
            Pending p = pending.remove(id);
            if (p != null) {
                p.future().completeExceptionally(error);
            }
        }

        long expire(long nowMs) {
            long next = Long.MAX_VALUE;
            for (var e : pending.entrySet()) {
                long deadline = e.getValue().deadlineMs();
                if (deadline <= nowMs) {
                    fail(e.getKey(), new StrataException(ErrorCode.REQUEST_TIMED_OUT, ErrorCode.REQUEST_TIMED_OUT.name(), true,
                            Status.Code.DEADLINE_EXCEEDED, "request timed out (" + node + "): no answer within "
                            + CommonClientConfigs.REQUEST_TIMEOUT_MS + "=" + requestTimeoutMs + " ms", null));
                } else {
                    next = Math.min(next, deadline - nowMs);
                }
            }
            return next;
        }

        @Override
        public void onNext(ProduceStreamResponse answer) {
            Pending p = pending.remove(answer.getCorrelationId());
            if (p == null) {
                return; // timed out before
            }
            if (answer.hasResponse()) {
                p.future().complete(answer.getResponse());
            } else {
                p.future().completeExceptionally(refused(answer.getError(), node));
            }
        }

        @Override
        public void onError(Throwable t) {
            StrataException error = Errors.toStrataException(t, node.toString());
            if (error.statusCode().orElse(null) == Status.Code.UNIMPLEMENTED) {
                unaryUntilMs.put(node, clock.millis() + UNARY_FALLBACK_MS);
                LOG.log(System.Logger.Level.INFO, "node " + node + " does not serve ProduceStream (an older version):"
                        + " producing to it with unary calls, one request per partition at a time");
                error = unavailable("node " + node + " does not serve ProduceStream; resending with Produce", t);
            } else if (error.reason() == ErrorCode.ERROR_CODE_UNSPECIFIED) {
                error = unavailable("the produce stream to " + node + " broke: " + error.getMessage(), t);
            }
            breakWith(error);
        }

        @Override
        public void onCompleted() {
            breakWith(unavailable("node " + node + " ended the produce stream", null));
        }

        /** Drops the stream and fails what is in flight on it. */
        private void breakWith(StrataException error) {
            broken = true;
            streams.remove(node, this);
            List<Long> ids = new ArrayList<>(pending.keySet());
            for (long id : ids) {
                fail(id, error);
            }
        }

        synchronized void halfClose() {
            if (!broken && requests != null) {
                try {
                    requests.onCompleted();
                } catch (RuntimeException gone) {
                    // ended already
                }
            }
        }

        synchronized void cancel() {
            if (requests != null) {
                requests.cancel("the producer was closed", null);
            }
        }
    }

    /** A transport failure of a stream: retriable wherever the request goes next. */
    private static StrataException unavailable(String message, Throwable cause) {
        return new StrataException(ErrorCode.ERROR_CODE_UNSPECIFIED, Status.Code.UNAVAILABLE.name(), true,
                Status.Code.UNAVAILABLE, message, cause);
    }

    /** The error the node answered one request with, as the unary call would have failed. */
    static StrataException refused(ProduceError error, Address node) {
        ErrorCode reason = error.getCode();
        boolean known = reason != ErrorCode.UNRECOGNIZED;
        return new StrataException(reason, known ? reason.name() : "UNRECOGNIZED(" + error.getCodeValue() + ")",
                known && StrataError.retriable(reason), known ? StrataError.statusCode(reason) : Status.Code.UNKNOWN,
                error.getMessage().isEmpty() ? reason + " from " + node : error.getMessage(), null);
    }
}
