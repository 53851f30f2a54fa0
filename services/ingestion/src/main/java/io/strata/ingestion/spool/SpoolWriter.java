package io.strata.ingestion.spool;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.strata.proto.StrataError;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.PublishRecord;
import io.strata.proto.v1.PublishResult;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The spool's single writer (Ratis's log worker): requests queue up (bounded by bytes), the
 * writer thread takes every request waiting, batches each ({@link SpoolBatcher}), refuses whole
 * the ones that would take the spool past {@code max.bytes}, appends the rest with one write
 * and one fsync for the whole group, and only then completes their futures and hands the new
 * entries to the forwarder. Every future completes, on every path.
 *
 * <p>Failures: an I/O error is sticky — the group and every later request fail with
 * {@code STORAGE_ERROR} (writing past a hole could reorder records), until a restart recovers the
 * files. A request that failed may still have reached the disk and be forwarded after that
 * restart: like a timeout, an error answer means "perhaps".
 */
final class SpoolWriter implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(SpoolWriter.class);
    /** Advised wait after the write queue was full: the writer drains it within a few fsyncs. */
    static final long QUEUE_RETRY_AFTER_MS = 100;
    /** Advised wait after the spool was full: it frees space a segment at a time, as the leaders accept. */
    static final long FULL_RETRY_AFTER_MS = 1000;

    /** The spool's producer identity; may block (the first call asks coordination). */
    interface IdentitySource {
        /** @throws StatusRuntimeException (UNAVAILABLE) when there is none and none can be had now */
        SpoolIdentity get();
    }

    private record Task(List<PublishRecord> records, Map<String, SpoolBatcher.TopicLookup> topics, long queuedBytes,
                        CompletableFuture<List<PublishResult>> result) {
    }

    private static final Task STOP = new Task(List.of(), Map.of(), 0, new CompletableFuture<>());

    private final SpoolLog log;
    private final SpoolBatcher batcher;
    private final IdentitySource identity;
    private final Consumer<List<SpoolEntryRef>> onWritten;
    private final long maxBytes;
    private final long maxQueuedBytes;
    private final String name;
    private final LinkedBlockingQueue<Task> queue = new LinkedBlockingQueue<>();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final AtomicLong spooledRecords = new AtomicLong();
    private final Thread thread;
    private volatile boolean closed;
    private volatile StatusRuntimeException failure;

    /**
     * @param onWritten      gets each group's entries once they are fsynced, in entry order (writer thread)
     * @param maxBytes       {@code strata.ingestion.spool.max.bytes}
     * @param maxQueuedBytes bytes of requests that may wait for the writer ({@code strata.ingestion.buffer.memory})
     * @param name           names the instance in messages
     */
    SpoolWriter(SpoolLog log, SpoolBatcher batcher, IdentitySource identity, Consumer<List<SpoolEntryRef>> onWritten,
                long maxBytes, long maxQueuedBytes, String name) {
        this.log = log;
        this.batcher = batcher;
        this.identity = identity;
        this.onWritten = onWritten;
        this.maxBytes = maxBytes;
        this.maxQueuedBytes = maxQueuedBytes;
        this.name = name;
        this.thread = new Thread(this::run, "strata-spool-writer");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /**
     * Queues a validated request whose topics are resolved.
     *
     * @return one result per record once the spooled ones are fsynced; fails with a
     *         {@link StatusRuntimeException} when the request was refused whole
     * @throws StatusRuntimeException at once when the writer's queue is full (BUFFER_EXHAUSTED),
     *                                the spool failed (STORAGE_ERROR) or is closing (UNAVAILABLE)
     */
    CompletableFuture<List<PublishResult>> submit(List<PublishRecord> records, Map<String, SpoolBatcher.TopicLookup> topics,
                                                  long requestBytes) {
        StatusRuntimeException failed = failure;
        if (failed != null) {
            throw failed;
        }
        if (closed) {
            throw Status.UNAVAILABLE.withDescription("ingestion " + name + " is shutting down; retry on another instance")
                    .asRuntimeException();
        }
        long queued = queuedBytes.addAndGet(requestBytes);
        if (queued > maxQueuedBytes && queued != requestBytes) {
            queuedBytes.addAndGet(-requestBytes);
            throw exhausted("the spool's write queue of ingestion " + name + " is full (" + (queued - requestBytes)
                    + " bytes waiting, strata.ingestion.buffer.memory=" + maxQueuedBytes + "); nothing of this request was"
                    + " spooled: retry after " + QUEUE_RETRY_AFTER_MS + " ms", QUEUE_RETRY_AFTER_MS);
        }
        Task task = new Task(records, topics, requestBytes, new CompletableFuture<>());
        queue.add(task);
        if (closed && queue.remove(task)) {
            // close() raced with us and the writer may be gone: answer here.
            queuedBytes.addAndGet(-requestBytes);
            task.result().completeExceptionally(Status.UNAVAILABLE.withDescription("ingestion " + name
                    + " is shutting down; retry on another instance").asRuntimeException());
        }
        return task.result();
    }

    private void run() {
        List<Task> group = new ArrayList<>();
        try {
            while (true) {
                Task first = queue.take();
                group.add(first);
                queue.drainTo(group);
                boolean stop = group.remove(STOP);
                write(group);
                group.clear();
                if (stop) {
                    break;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            StatusRuntimeException gone = Status.UNAVAILABLE.withDescription("ingestion " + name
                    + " stopped; retry on another instance").asRuntimeException();
            group.forEach(t -> t.result().completeExceptionally(gone));
            Task t;
            while ((t = queue.poll()) != null) {
                t.result().completeExceptionally(gone);
            }
        }
    }

    /** Batches, writes and fsyncs one group; completes every task of it. */
    private void write(List<Task> group) {
        List<Task> admitted = new ArrayList<>(group.size());
        List<SpoolBatcher.Batched> batched = new ArrayList<>(group.size());
        List<SpoolEntry> entries = new ArrayList<>();
        long groupBytes = 0;
        for (Task task : group) {
            queuedBytes.addAndGet(-task.queuedBytes());
            if (failure != null) {
                task.result().completeExceptionally(failure);
                continue;
            }
            try {
                SpoolBatcher.Batched b = batcher.batch(task.records(), task.topics(), identity.get());
                if (b.entries().isEmpty()) {
                    task.result().complete(b.results());
                    continue;
                }
                long used = log.sizeInBytes() + groupBytes;
                if (used + b.bytes() > maxBytes) {
                    task.result().completeExceptionally(exhausted("the spool of ingestion " + name + " is full (" + used
                            + " of strata.ingestion.spool.max.bytes=" + maxBytes + " bytes used, the request needs "
                            + b.bytes() + "); nothing of this request was spooled: retry after " + FULL_RETRY_AFTER_MS
                            + " ms", FULL_RETRY_AFTER_MS));
                    continue;
                }
                batcher.commit(b);
                groupBytes += b.bytes();
                admitted.add(task);
                batched.add(b);
                entries.addAll(b.entries());
            } catch (StatusRuntimeException e) {
                task.result().completeExceptionally(e);
            } catch (RuntimeException e) {
                LOG.errorf(e, "spool of ingestion %s: batching a request failed", name);
                task.result().completeExceptionally(StrataError.exception(ErrorCode.INTERNAL_ERROR,
                        "ingestion " + name + ": spooling the request failed: " + e));
            }
        }
        if (entries.isEmpty()) {
            return;
        }
        List<SpoolEntryRef> refs;
        try {
            refs = log.append(entries);
            log.flush();
        } catch (IOException | RuntimeException e) {
            failure = StrataError.exception(ErrorCode.STORAGE_ERROR, "the spool of ingestion " + name + " in " + log.dir()
                    + " failed (" + e + "); spooled requests are refused until the instance restarts: use ack=committed"
                    + " or another instance");
            LOG.errorf(e, "spool %s: a write failed; refusing spooled requests until a restart", log.dir());
            admitted.forEach(t -> t.result().completeExceptionally(failure));
            return;
        }
        onWritten.accept(refs);
        for (int i = 0; i < admitted.size(); i++) {
            SpoolBatcher.Batched b = batched.get(i);
            b.entries().forEach(e -> spooledRecords.addAndGet(e.recordCount()));
            admitted.get(i).result().complete(b.results());
        }
    }

    private static StatusRuntimeException exhausted(String message, long retryAfterMs) {
        Metadata trailers = new Metadata();
        trailers.put(StrataError.RETRY_AFTER_KEY, Long.toString(retryAfterMs));
        return StrataError.exception(ErrorCode.BUFFER_EXHAUSTED, message, trailers);
    }

    /** Records spooled since start. */
    long spooledRecords() {
        return spooledRecords.get();
    }

    /** Whether a write failed (sticky). */
    boolean failed() {
        return failure != null;
    }

    /**
     * Stops taking requests, writes those already queued, and stops the thread (waiting up to 10 s).
     * The thread is never interrupted: an interrupt in the middle of a write closes the segment's
     * file under every reader. A write still running after the wait fails once the spool closes
     * the files, and its requests are answered with that failure.
     */
    @Override
    public void close() {
        closed = true;
        if (!thread.isAlive()) {
            Task t;
            while ((t = queue.poll()) != null) {
                t.result().completeExceptionally(Status.UNAVAILABLE.withDescription("ingestion " + name
                        + " stopped; retry on another instance").asRuntimeException());
            }
            return;
        }
        queue.add(STOP);
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            LOG.warnf("spool %s: the writer of ingestion %s is still busy after 10 s; closing the files under it", log.dir(),
                    name);
        }
    }
}
