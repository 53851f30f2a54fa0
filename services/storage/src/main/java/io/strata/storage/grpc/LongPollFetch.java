package io.strata.storage.grpc;

import io.grpc.stub.ServerCallStreamObserver;
import io.strata.proto.v1.FetchResponse;
import io.strata.storage.StorageNode;
import io.strata.storage.partition.HostedPartition;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One fetch waiting for data: it answers when min_bytes are available (re-read after each
 * append signal, off the appender's thread) or when max_wait_ms passes, whichever is first,
 * exactly once. No thread is held while it waits.
 */
final class LongPollFetch {

    private final StorageGrpcService service;
    private final HostedPartition partition;
    private final StorageGrpcService.FetchSpec spec;
    private final ServerCallStreamObserver<FetchResponse> response;
    private final StorageNode node;
    private final AtomicBoolean done = new AtomicBoolean();
    private volatile ScheduledFuture<?> timeout;
    private volatile Runnable deregister = () -> { };

    LongPollFetch(StorageGrpcService service, HostedPartition partition, StorageGrpcService.FetchSpec spec,
                  ServerCallStreamObserver<FetchResponse> response, StorageNode node) {
        this.service = service;
        this.partition = partition;
        this.spec = spec;
        this.response = response;
        this.node = node;
    }

    void start() {
        response.setOnCancelHandler(this::cancel);
        timeout = node.scheduler().schedule(() -> node.fetchExecutor().execute(this::answerNow), spec.maxWaitMs(), TimeUnit.MILLISECONDS);
        // Read again before waiting: an append may have landed since the caller's first read.
        node.fetchExecutor().execute(this::tryAnswer);
    }

    private void tryAnswer() {
        if (done.get()) {
            return;
        }
        try {
            long seen = partition.waiters().signals();
            FetchResponse r = service.read(partition, spec.offset(), spec.maxBytes());
            if (r.getBatches().size() >= spec.minBytes()) {
                finish(r);
            } else {
                deregister = partition.waiters().register(() -> node.fetchExecutor().execute(this::tryAnswer), seen);
            }
        } catch (RuntimeException e) {
            fail(e);
        }
    }

    private void answerNow() {
        if (done.get()) {
            return;
        }
        try {
            finish(service.read(partition, spec.offset(), spec.maxBytes()));
        } catch (RuntimeException e) {
            fail(e);
        }
    }

    private void finish(FetchResponse r) {
        if (done.compareAndSet(false, true)) {
            cleanUp();
            if (!response.isCancelled()) {
                response.onNext(service.charged(spec, r));
                response.onCompleted();
            }
        }
    }

    private void fail(RuntimeException e) {
        if (done.compareAndSet(false, true)) {
            cleanUp();
            if (!response.isCancelled()) {
                response.onError(StorageErrors.toStatus(e, partition.topicPartition().dirName()));
            }
        }
    }

    private void cancel() {
        done.set(true);
        cleanUp();
    }

    private void cleanUp() {
        deregister.run();
        ScheduledFuture<?> t = timeout;
        if (t != null) {
            t.cancel(false);
        }
    }
}
