package io.strata.storage.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.strata.proto.LeasedMessage;
import io.strata.proto.StrataError;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.ProduceError;
import io.strata.proto.v1.ProduceRequest;
import io.strata.proto.v1.ProduceResponse;
import io.strata.proto.v1.ProduceStreamRequest;
import io.strata.proto.v1.ProduceStreamResponse;
import io.strata.runtime.quota.Quotas;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * The node's end of one {@code ProduceStream}: a client's pipeline of produce requests to this
 * node, ordered like a Kafka connection.
 *
 * <p><b>Order.</b> grpc-java delivers a call's messages one at a time, in the order sent. Each
 * goes to its partition's lane: a queue whose requests are handed to the {@link ProducePath} one
 * at a time, in arrival order, on the call executor ({@link ProducePath#produce} appends before
 * it returns). So a partition's requests on a stream are appended in the order they were sent,
 * while different partitions (and streams) append in parallel. Answers go out as each request
 * completes (acks=all: when the high watermark passes it) with the request's correlation id; a
 * request's error is its answer and ends nothing else.
 *
 * <p><b>Flow control, both ways.</b> Inbound messages are requested one at a time
 * ({@code disableAutoRequest}, {@code request(1)}), the next only while fewer than
 * {@link #MAX_QUEUED_REQUESTS} requests and {@link #MAX_QUEUED_BYTES} bytes wait in the lanes and
 * fewer than {@link #MAX_UNSENT_ANSWERS} answers wait for the transport. Answers go out only
 * while the call {@code isReady()}; the rest wait for the on-ready handler. A client that stops
 * reading answers, or whose partitions are held by a quota, thus stops being read, and its
 * requests wait in HTTP/2's flow-control window.
 *
 * <p><b>Quotas.</b> A request whose client id is throttled waits for the rest of the throttle
 * time, and its partition's later requests on the stream behind it; then it is taken without
 * another check (as {@link Quotas#admit} does for a unary call). Waiting takes no thread.
 *
 * <p><b>Ends.</b> The client's half-close ends the stream cleanly once every request has been
 * answered. A message without a request fails it with INVALID_REQUEST, {@link #shutdown} with
 * UNAVAILABLE, and a cancelled call ends it; requests not answered by then get no answer
 * (appended or not: the client resends them, as after any broken connection), and answers that
 * complete later are dropped.
 *
 * <p>Thread-safe: the monitor guards the state and every call on {@code out}.
 */
final class ProduceStreamSession implements StreamObserver<ProduceStreamRequest> {

    /** Requests waiting in the lanes beyond which no further message is read. */
    static final int MAX_QUEUED_REQUESTS = 64;
    /** Bytes of requests waiting in the lanes beyond which no further message is read. */
    static final long MAX_QUEUED_BYTES = 16L * 1024 * 1024;
    /** Answers waiting for the transport beyond which no further message is read. */
    static final int MAX_UNSENT_ANSWERS = 256;

    private record PartitionKey(String topic, int partition) {
    }

    /** A request waiting in its lane, with the pooled array its batches alias (null: none), given back once appended. */
    private record Queued(ProduceStreamRequest message, LeasedMessage<ProduceStreamRequest> lease) {
        void release() {
            if (lease != null) {
                lease.close();
            }
        }
    }

    private final ProducePath path;
    private final Quotas quotas;
    private final Executor executor;
    private final ServerCallStreamObserver<ProduceStreamResponse> out;
    private final Consumer<ProduceStreamSession> onEnd;
    // guarded by this
    private final Map<PartitionKey, Lane> lanes = new HashMap<>();
    private final ArrayDeque<ProduceStreamResponse> unsent = new ArrayDeque<>();
    private int queued;
    private long queuedBytes;
    private int unanswered;
    private boolean requested;
    private boolean halfClosed;
    private boolean ended;

    /**
     * Must be built while the service method runs (it turns automatic inbound flow control off).
     *
     * @param executor runs the lanes (the gRPC server's call executor)
     * @param onEnd    called once when the stream has ended, however it ended
     */
    ProduceStreamSession(ProducePath path, Quotas quotas, Executor executor,
                         ServerCallStreamObserver<ProduceStreamResponse> out, Consumer<ProduceStreamSession> onEnd) {
        this.path = path;
        this.quotas = quotas;
        this.executor = executor;
        this.out = out;
        this.onEnd = onEnd;
        out.disableAutoRequest();
        out.setOnReadyHandler(this::flush);
        out.setOnCancelHandler(this::cancelled);
    }

    /** Asks for the first message; from the service method, after construction. */
    synchronized void start() {
        requestMore();
    }

    @Override
    public void onNext(ProduceStreamRequest message) {
        accept(new Queued(message, null));
    }

    /**
     * This session as the observer of messages parsed into pooled arrays
     * ({@link io.strata.proto.LeasedMessageMarshaller}): each array is given back once its request
     * was appended, or dropped when the stream ends.
     */
    StreamObserver<LeasedMessage<ProduceStreamRequest>> leased() {
        return new StreamObserver<>() {
            @Override
            public void onNext(LeasedMessage<ProduceStreamRequest> message) {
                accept(new Queued(message.message(), message));
            }

            @Override
            public void onError(Throwable t) {
                ProduceStreamSession.this.onError(t);
            }

            @Override
            public void onCompleted() {
                ProduceStreamSession.this.onCompleted();
            }
        };
    }

    private void accept(Queued item) {
        ProduceStreamRequest message = item.message();
        Lane start;
        synchronized (this) {
            requested = false;
            if (ended) {
                item.release();
                return;
            }
            if (!message.hasRequest()) {
                item.release();
                fail(StrataError.exception(ErrorCode.INVALID_REQUEST, "produce stream message with correlation id "
                        + message.getCorrelationId() + " carries no request; the stream is closed"));
                return;
            }
            Lane lane = lanes.computeIfAbsent(new PartitionKey(message.getRequest().getTopic(),
                    message.getRequest().getPartition()), k -> new Lane());
            lane.queue.addLast(item);
            queued++;
            queuedBytes += message.getRequest().getBatches().size();
            start = lane.claim() ? lane : null;
            requestMore();
        }
        if (start != null) {
            dispatch(start);
        }
    }

    private void dispatch(Lane lane) {
        try {
            executor.execute(lane::run);
        } catch (RejectedExecutionException e) {
            shutdown("the node is shutting down");
        }
    }

    /** One partition's requests on this stream, taken one at a time in arrival order. */
    private final class Lane {
        final ArrayDeque<Queued> queue = new ArrayDeque<>();
        boolean running;
        boolean held;
        boolean headAdmitted;

        /** Under the monitor: marks the lane running when it has work and nobody runs it. */
        boolean claim() {
            if (running || held || queue.isEmpty() || ended) {
                return false;
            }
            running = true;
            return true;
        }

        void run() {
            while (true) {
                Queued next;
                boolean admitted;
                synchronized (ProduceStreamSession.this) {
                    if (ended || held || queue.isEmpty()) {
                        running = false;
                        maybeComplete();
                        return;
                    }
                    next = queue.pollFirst();
                    admitted = headAdmitted;
                    headAdmitted = false;
                    queued--;
                    queuedBytes -= next.message().getRequest().getBatches().size();
                    requestMore();
                }
                ProduceRequest request = next.message().getRequest();
                long holdMs = admitted ? 0 : quotas.producer().throttleMs(request.getClientId());
                if (holdMs > 0) {
                    synchronized (ProduceStreamSession.this) {
                        queue.addFirst(next);
                        queued++;
                        queuedBytes += request.getBatches().size();
                        headAdmitted = true;
                        held = true;
                        running = false;
                    }
                    quotas.later(holdMs, this::release);
                    return;
                }
                synchronized (ProduceStreamSession.this) {
                    unanswered++;
                }
                try {
                    path.produce(request, new Answer(next.message().getCorrelationId()));
                } finally {
                    next.release(); // the batches were copied into the log: the array may go back
                }
            }
        }

        /** The held request's throttle time is over (or the node shuts down): go on, on this thread. */
        void release() {
            boolean go;
            synchronized (ProduceStreamSession.this) {
                held = false;
                go = claim();
                if (!go) {
                    maybeComplete();
                }
            }
            if (go) {
                run();
            }
        }
    }

    /** One request's answer, sent with its correlation id. */
    private final class Answer implements ProducePath.Reply {
        private final long correlationId;

        Answer(long correlationId) {
            this.correlationId = correlationId;
        }

        @Override
        public void answer(ProduceResponse response) {
            send(ProduceStreamResponse.newBuilder().setCorrelationId(correlationId).setResponse(response).build());
        }

        @Override
        public void fail(StatusRuntimeException error) {
            ProduceError.Builder e = ProduceError.newBuilder()
                    .setCode(StrataError.reasonOf(error).orElse(ErrorCode.INTERNAL_ERROR))
                    .setMessage(String.valueOf(error.getStatus().getDescription()));
            StrataError.leaderOf(error).ifPresent(e::setLeaderId);
            send(ProduceStreamResponse.newBuilder().setCorrelationId(correlationId).setError(e).build());
        }
    }

    private synchronized void send(ProduceStreamResponse answer) {
        unanswered--;
        if (ended) {
            return;
        }
        if (unsent.isEmpty() && out.isReady()) {
            write(answer);
        } else {
            unsent.addLast(answer);
        }
        maybeComplete();
    }

    /** On-ready handler: sends the waiting answers while the transport takes them. */
    private synchronized void flush() {
        while (!ended && !unsent.isEmpty() && out.isReady()) {
            write(unsent.pollFirst());
        }
        requestMore();
        maybeComplete();
    }

    /** Under the monitor. */
    private void write(ProduceStreamResponse answer) {
        try {
            out.onNext(answer);
        } catch (RuntimeException cancelled) {
            end();
        }
    }

    /** Under the monitor: asks for the next message when one may be taken. */
    private void requestMore() {
        if (ended || halfClosed || requested || queued >= MAX_QUEUED_REQUESTS || queuedBytes >= MAX_QUEUED_BYTES
                || unsent.size() >= MAX_UNSENT_ANSWERS) {
            return;
        }
        requested = true;
        try {
            out.request(1);
        } catch (RuntimeException cancelled) {
            end();
        }
    }

    /** Under the monitor: completes the stream once the client half-closed and everything is answered. */
    private void maybeComplete() {
        if (!halfClosed || ended || queued > 0 || unanswered > 0 || !unsent.isEmpty()
                || lanes.values().stream().anyMatch(l -> l.running)) {
            return;
        }
        end();
        try {
            out.onCompleted();
        } catch (RuntimeException cancelled) {
            // gone already
        }
    }

    @Override
    public synchronized void onCompleted() {
        halfClosed = true;
        maybeComplete();
    }

    @Override
    public void onError(Throwable t) {
        cancelled();
    }

    private synchronized void cancelled() {
        end();
    }

    /** Fails the stream (the requests not yet answered are not answered). */
    synchronized void fail(StatusRuntimeException error) {
        if (ended) {
            return;
        }
        end();
        try {
            out.onError(error);
        } catch (RuntimeException cancelled) {
            // gone already
        }
    }

    /** The node shuts down: fails the stream with UNAVAILABLE, so the client resends to the next leader. */
    void shutdown(String why) {
        fail(Status.UNAVAILABLE.withDescription(why + "; produce requests not answered may or may not have been"
                + " written: resend them to the partition's leader").asRuntimeException());
    }

    /** Under the monitor: marks the stream ended, once, and drops what is pending. */
    private void end() {
        if (ended) {
            return;
        }
        ended = true;
        lanes.values().forEach(l -> {
            l.queue.forEach(Queued::release);
            l.queue.clear();
        });
        queued = 0;
        queuedBytes = 0;
        unsent.clear();
        onEnd.accept(this);
    }
}
