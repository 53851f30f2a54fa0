package io.strata.ingestion.spool;

import com.google.protobuf.UnsafeByteOperations;
import io.strata.client.StrataException;
import io.strata.client.TopicPartition;
import io.strata.client.internal.Backoff;
import io.strata.client.internal.ChannelPool;
import io.strata.client.internal.ClusterSnapshot;
import io.strata.client.internal.CoordinationCalls;
import io.strata.client.internal.Errors;
import io.strata.client.internal.GrpcCalls;
import io.strata.client.internal.MetadataCache;
import io.strata.proto.v1.Acks;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.InitProducerIdRequest;
import io.strata.proto.v1.InitProducerIdResponse;
import io.strata.proto.v1.ProduceRequest;
import io.strata.proto.v1.ProduceResponse;
import io.strata.proto.v1.StorageGrpc;
import io.strata.records.RecordBatch;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sends the spooled batches to their partition leaders, exactly as they were sealed, in entry
 * order per partition, and records how far each partition got (see DESIGN.md in this package).
 *
 * <p>Per partition ("lane"): one Produce (acks=all, one batch) in flight at a time. Every
 * failure but the few that say the batch can never be written — leader moved or down, node
 * unreachable or restarting, a call cancelled or failed inside the node, partition not open
 * yet, quota, an entry that cannot be read now — is retried after a metadata refresh and a
 * backoff, for as long as it takes, with an ERROR log every {@link #ERROR_EVERY_FAILURES}
 * failures in a row. A leader that already wrote a batch recognises the resend by its producer
 * id and sequences and answers with the original offsets ({@code DUPLICATE_SEQUENCE} counts as
 * written too). The progress is checkpointed ({@link SpoolCheckpoint}) at least every
 * {@link #MAX_UNCHECKPOINTED_BATCHES} acknowledged batches of a lane, so that after a crash at
 * most 5 batches per partition (the acknowledged ones plus the one in flight) are sent again —
 * exactly the 5 the leader remembers per producer.
 *
 * <p>What retrying cannot cure: a batch refused for its sequence or epoch is sent again under
 * a fresh producer id (the leader accepts an id it does not know at any sequence). A batch
 * refused for good ({@link #refusedForGood}: a record above a lowered {@code max.message.bytes},
 * a malformed batch), whose topic coordination says is deleted, or whose spool frame or batch
 * fails its CRC, is dropped with an error log, and the partition's later batches go out under a
 * fresh producer id, since the dropped one left a sequence gap. Nothing else drops a batch. A
 * new id is checkpointed before the first batch goes out under it.
 *
 * <p>Threads: one forwarder thread owns every lane; gRPC answers and new entries reach it
 * through queues. The counters may be read from anywhere.
 */
final class SpoolForwarder implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(SpoolForwarder.class);
    /** Acknowledged batches a lane may have past its checkpoint before it sends another one (5 with it). */
    static final int MAX_UNCHECKPOINTED_BATCHES = 4;
    static final long CHECKPOINT_INTERVAL_MS = 1_000;
    static final long REPORT_INTERVAL_MS = 30_000;
    static final long METADATA_MAX_AGE_MS = 60_000;
    static final int REQUEST_TIMEOUT_MS = 30_000;
    private static final long MAX_IDLE_MS = 1_000;
    /** A lane that failed this many times in a row (about 30 s of backoff) logs an ERROR, and again every as many. */
    static final int ERROR_EVERY_FAILURES = 20;

    /** One partition's queue of spooled batches and its forwarding state. */
    private static final class Lane {
        final TopicPartition partition;
        final ArrayDeque<SpoolEntryRef> pending = new ArrayDeque<>();
        int nextSequence;
        long producerId = -1;
        short producerEpoch = -1;
        int ackedSinceCheckpoint;
        boolean busy;
        boolean needsNewId;
        long notBeforeMs;
        int failures;
        String problem;

        Lane(TopicPartition partition) {
            this.partition = partition;
        }
    }

    private final SpoolLog log;
    private final MetadataCache metadata;
    private final ChannelPool channels;
    private final CoordinationCalls coordination;
    private final Backoff backoff;
    private final Clock clock;
    private final String clientId;
    private final Map<TopicPartition, Lane> lanes = new LinkedHashMap<>();
    private final ConcurrentLinkedQueue<SpoolEntryRef> incoming = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Runnable> answers = new ConcurrentLinkedQueue<>();
    private final AtomicLong pendingRecords = new AtomicLong();
    private final AtomicLong pendingBatches = new AtomicLong();
    private final AtomicLong forwardedRecords = new AtomicLong();
    private final AtomicLong droppedRecords = new AtomicLong();
    private final Object signal = new Object();
    private final Thread thread;
    private boolean woken; // guarded by signal
    private volatile boolean running = true;
    private volatile boolean failed;
    private long logEnd;
    private boolean checkpointDirty;
    private long lastCheckpointMs;
    private long lastReportMs;
    private long lastMetadataRequestMs = Long.MIN_VALUE / 2;
    private String lastReport = "";

    /**
     * @param progress  the checkpoint read at open
     * @param recovered every entry found in the log at open, in entry order; those the checkpoint
     *                  counts as written are skipped
     * @param logEnd    the id the log's next entry gets
     */
    SpoolForwarder(SpoolLog log, MetadataCache metadata, ChannelPool channels, CoordinationCalls coordination,
                   Backoff backoff, Clock clock, String clientId, Collection<SpoolCheckpoint.Progress> progress,
                   List<SpoolEntryRef> recovered, long logEnd) {
        this.log = log;
        this.metadata = metadata;
        this.channels = channels;
        this.coordination = coordination;
        this.backoff = backoff;
        this.clock = clock;
        this.clientId = clientId;
        this.logEnd = logEnd;
        for (SpoolCheckpoint.Progress p : progress) {
            Lane lane = lane(p.partition());
            lane.nextSequence = p.nextSequence();
            lane.producerId = p.producerId();
            lane.producerEpoch = p.producerEpoch();
        }
        Map<TopicPartition, Long> forwardedBelow = new LinkedHashMap<>();
        progress.forEach(p -> forwardedBelow.put(p.partition(), p.nextEntryId()));
        for (SpoolEntryRef ref : recovered) {
            if (ref.entryId() >= forwardedBelow.getOrDefault(ref.partition(), 0L)) {
                enqueue(ref);
            }
        }
        this.thread = new Thread(this::run, "strata-spool-forwarder");
        thread.setDaemon(true);
        metadata.addListener(this::wakeup);
    }

    void start() {
        lastCheckpointMs = clock.millis();
        lastReportMs = lastCheckpointMs;
        thread.start();
    }

    /** New entries, fsynced, in entry order (the writer thread calls this). */
    void submit(List<SpoolEntryRef> refs) {
        incoming.addAll(refs);
        for (SpoolEntryRef r : refs) {
            pendingRecords.addAndGet(r.recordCount());
            pendingBatches.incrementAndGet();
        }
        wakeup();
    }

    long pendingRecords() {
        return pendingRecords.get();
    }

    long pendingBatches() {
        return pendingBatches.get();
    }

    long forwardedRecords() {
        return forwardedRecords.get();
    }

    long droppedRecords() {
        return droppedRecords.get();
    }

    /** Whether the forwarder stopped after failing to write its checkpoint. */
    boolean failed() {
        return failed;
    }

    private Lane lane(TopicPartition tp) {
        return lanes.computeIfAbsent(tp, Lane::new);
    }

    private void enqueue(SpoolEntryRef ref) {
        lane(ref.partition()).pending.addLast(ref);
        pendingRecords.addAndGet(ref.recordCount());
        pendingBatches.incrementAndGet();
    }

    private void run() {
        try {
            while (running) {
                runOnce();
            }
            if (!failed && checkpointDirty) {
                checkpoint();
            }
        } catch (RuntimeException | Error e) {
            LOG.errorf(e, "spool %s: the forwarder thread failed; spooled records wait for a restart", log.dir());
            failed = true;
        }
    }

    private void runOnce() {
        SpoolEntryRef ref;
        while ((ref = incoming.poll()) != null) {
            lane(ref.partition()).pending.addLast(ref);
            logEnd = ref.entryId() + 1;
        }
        Runnable answer;
        while ((answer = answers.poll()) != null) {
            answer.run();
        }
        long now = clock.millis();
        long nextWake = now + MAX_IDLE_MS;
        ClusterSnapshot snapshot = metadata.snapshot();
        Set<String> wantMetadata = new HashSet<>();
        for (Lane lane : lanes.values()) {
            if (failed || lane.pending.isEmpty() || lane.busy) {
                continue;
            }
            if (now < lane.notBeforeMs) {
                nextWake = Math.min(nextWake, lane.notBeforeMs);
                continue;
            }
            String topic = lane.partition.topic();
            if (snapshot.unknownTopics().contains(topic)) {
                while (!lane.pending.isEmpty()) {
                    drop(lane, lane.pending.peekFirst(), "topic '" + topic + "' does not exist any more");
                }
                continue;
            }
            if (lane.needsNewId) {
                requestProducerId(lane);
                continue;
            }
            if (snapshot.topic(topic).isEmpty()) {
                wantMetadata.add(topic); // not asked about yet (e.g. right after a restart)
                lane.notBeforeMs = now + 100;
                nextWake = Math.min(nextWake, lane.notBeforeMs);
                continue;
            }
            var leader = snapshot.leader(lane.partition);
            if (leader.isEmpty()) {
                wantMetadata.add(topic);
                retryLater(lane, now, "partition " + lane.partition + " has no live leader");
                nextWake = Math.min(nextWake, lane.notBeforeMs);
                continue;
            }
            if (lane.ackedSinceCheckpoint >= MAX_UNCHECKPOINTED_BATCHES) {
                checkpoint();
                if (failed) {
                    break;
                }
            }
            send(lane, leader.get());
        }
        if (!wantMetadata.isEmpty() || (metadata.hasInterest() && now - snapshot.updatedAtMs() >= METADATA_MAX_AGE_MS)) {
            long earliest = lastMetadataRequestMs + 250;
            if (now >= earliest) {
                lastMetadataRequestMs = now;
                metadata.refresh(wantMetadata);
            }
        }
        if (!failed && checkpointDirty && now - lastCheckpointMs >= CHECKPOINT_INTERVAL_MS) {
            checkpoint();
        }
        if (now - lastReportMs >= REPORT_INTERVAL_MS) {
            report(now);
        }
        awaitWakeup(nextWake - clock.millis());
    }

    private void send(Lane lane, ClusterSnapshot.Leader leader) {
        SpoolEntryRef ref = lane.pending.peekFirst();
        ByteBuffer batch;
        try {
            batch = stamped(lane, log.read(ref).batch());
        } catch (SpoolDamageException e) {
            drop(lane, ref, "its spool entry is damaged: " + e.getMessage());
            return;
        } catch (IOException e) {
            // Not damage (a read error, the files closing at shutdown): the entry stays, and so does the checkpoint.
            retryLater(lane, clock.millis(), "reading entry " + ref.entryId() + " failed: " + e);
            return;
        }
        if (!RecordBatch.isCrcValid(batch, batch.position())) {
            // Its frame checked out, so it was sealed this way: no leader will take it. (A CORRUPT_BATCH
            // answer for a batch that passes here means damage in flight, and is retried.)
            drop(lane, ref, "its batch fails its CRC");
            return;
        }
        ProduceRequest request = ProduceRequest.newBuilder()
                .setTopic(lane.partition.topic())
                .setPartition(lane.partition.partition())
                .setAcks(Acks.ACKS_ALL)
                .setTimeoutMs(REQUEST_TIMEOUT_MS)
                .setLeaderEpoch(leader.epoch())
                .setBatches(UnsafeByteOperations.unsafeWrap(batch))
                .setClientId(clientId)
                .build();
        String target = "node " + leader.node().id() + " (" + leader.address() + ")";
        lane.busy = true;
        var call = GrpcCalls.<ProduceRequest, ProduceResponse>unary(request, (q, o) -> StorageGrpc
                .newStub(channels.channel(leader.address()))
                .withDeadlineAfter(REQUEST_TIMEOUT_MS + 5_000L, TimeUnit.MILLISECONDS).produce(q, o));
        call.whenComplete((response, failure) -> {
            answers.add(() -> onAnswer(lane, ref, failure == null ? null : Errors.toStrataException(failure, target)));
            wakeup();
        });
    }

    /** The batch as it goes out: under the lane's own producer id when it moved to one. */
    private static ByteBuffer stamped(Lane lane, ByteBuffer batch) {
        if (lane.producerId < 0 || RecordBatch.producerId(batch, batch.position()) == lane.producerId) {
            return batch;
        }
        ByteBuffer copy = ByteBuffer.allocate(batch.remaining()).put(batch.duplicate()).flip();
        copy.putLong(RecordBatch.PRODUCER_ID_OFFSET, lane.producerId);
        copy.putShort(RecordBatch.PRODUCER_EPOCH_OFFSET, lane.producerEpoch);
        RecordBatch.writeCrc(copy, 0);
        return copy;
    }

    private void onAnswer(Lane lane, SpoolEntryRef ref, StrataException error) {
        lane.busy = false;
        if (lane.pending.peekFirst() != ref) {
            return;
        }
        if (error == null || error.reason() == ErrorCode.DUPLICATE_SEQUENCE) {
            written(lane, ref);
            return;
        }
        switch (error.reason()) {
            case OUT_OF_ORDER_SEQUENCE, INVALID_PRODUCER_EPOCH, UNKNOWN_PRODUCER_ID -> {
                LOG.warnf("spool %s: the leader of %s refused entry %d for its producer state (%s: %s); sending it again"
                        + " under a new producer id", log.dir(), lane.partition, ref.entryId(), error.reasonName(),
                        error.getMessage());
                lane.needsNewId = true;
            }
            default -> {
                if (refusedForGood(error.reason())) {
                    drop(lane, ref, error.reasonName() + ": " + error.getMessage());
                } else {
                    // UNKNOWN_TOPIC_OR_PARTITION included: the lane drops its batches once the refreshed
                    // metadata says the topic is gone (runOnce), not on one leader's word.
                    metadata.refresh(Set.of(lane.partition.topic()));
                    retryLater(lane, clock.millis(), error.reasonName() + ": " + error.getMessage());
                }
            }
        }
    }

    /**
     * The refusals no retry can cure, because the batch's bytes are what is refused. Everything
     * else is retried: an acknowledged record is dropped only for a reason named here (or its
     * topic's deletion, or damage in the spool).
     */
    static boolean refusedForGood(ErrorCode reason) {
        return reason == ErrorCode.RECORD_TOO_LARGE || reason == ErrorCode.INVALID_BATCH;
    }

    private void written(Lane lane, SpoolEntryRef ref) {
        lane.pending.pollFirst();
        lane.nextSequence = RecordBatch.incrementSequence(ref.lastSequence(), 1);
        lane.ackedSinceCheckpoint++;
        lane.failures = 0;
        lane.notBeforeMs = 0;
        if (lane.problem != null) {
            LOG.infof("spool %s: forwarding to %s resumed (it waited: %s)", log.dir(), lane.partition, lane.problem);
            lane.problem = null;
        }
        checkpointDirty = true;
        forwardedRecords.addAndGet(ref.recordCount());
        pendingRecords.addAndGet(-ref.recordCount());
        pendingBatches.decrementAndGet();
    }

    private void drop(Lane lane, SpoolEntryRef ref, String why) {
        lane.pending.remove(ref);
        lane.needsNewId = true;
        checkpointDirty = true;
        droppedRecords.addAndGet(ref.recordCount());
        pendingRecords.addAndGet(-ref.recordCount());
        pendingBatches.decrementAndGet();
        LOG.errorf("spool %s: dropped entry %d, %d record(s) for %s, that cannot be delivered: %s", log.dir(),
                ref.entryId(), ref.recordCount(), lane.partition, why);
    }

    private void retryLater(Lane lane, long now, String problem) {
        lane.failures++;
        lane.notBeforeMs = now + backoff.delayMs(lane.failures);
        if (lane.failures % ERROR_EVERY_FAILURES == 0) {
            SpoolEntryRef first = lane.pending.peekFirst();
            LOG.errorf("spool %s: entry %d for %s (%d record(s), acknowledged to its publisher) is not forwarded after %d"
                    + " attempts: %s; still retrying", log.dir(), first == null ? -1 : first.entryId(), lane.partition,
                    first == null ? 0 : first.recordCount(), lane.failures, problem);
        } else if (lane.problem == null) {
            LOG.warnf("spool %s: forwarding to %s waits: %s; retrying until it is accepted", log.dir(), lane.partition,
                    problem);
        } else {
            LOG.debugf("spool %s: %s still waits: %s", log.dir(), lane.partition, problem);
        }
        lane.problem = problem;
    }

    private void requestProducerId(Lane lane) {
        lane.busy = true;
        coordination.<InitProducerIdRequest, InitProducerIdResponse>call(InitProducerIdRequest.getDefaultInstance(),
                stub -> stub::initProducerId).whenComplete((answer, failure) -> {
                    answers.add(() -> {
                        lane.busy = false;
                        if (failure != null) {
                            retryLater(lane, clock.millis(), "no new producer id: " + Errors.toStrataException(failure).getMessage());
                            return;
                        }
                        lane.producerId = answer.getProducerId();
                        lane.producerEpoch = (short) answer.getProducerEpoch();
                        lane.needsNewId = false;
                        LOG.warnf("spool %s: %s continues under producer id %d (epoch %d)", log.dir(), lane.partition,
                                lane.producerId, lane.producerEpoch);
                        checkpoint(); // before anything goes out under it
                    });
                    wakeup();
                });
    }

    /** Writes every lane's progress, then deletes the segments nothing waits for any more. */
    private void checkpoint() {
        List<SpoolCheckpoint.Progress> progress = new ArrayList<>(lanes.size());
        long lowWater = logEnd;
        for (Lane lane : lanes.values()) {
            long next = lane.pending.isEmpty() ? logEnd : lane.pending.peekFirst().entryId();
            lowWater = Math.min(lowWater, next);
            progress.add(new SpoolCheckpoint.Progress(lane.partition, next, lane.nextSequence, lane.producerId,
                    lane.producerEpoch));
        }
        try {
            SpoolCheckpoint.write(log.dir(), progress);
        } catch (IOException e) {
            failed = true;
            LOG.errorf(e, "spool %s: cannot write the forwarding checkpoint; forwarding stops until a restart (spooled"
                    + " records stay on disk)", log.dir());
            return;
        }
        lanes.values().forEach(l -> l.ackedSinceCheckpoint = 0);
        checkpointDirty = false;
        lastCheckpointMs = clock.millis();
        try {
            int deleted = log.deleteSegmentsBelow(lowWater);
            if (deleted > 0) {
                LOG.debugf("spool %s: deleted %d forwarded segment(s)", log.dir(), deleted);
            }
        } catch (IOException e) {
            LOG.warnf("spool %s: deleting forwarded segments failed (%s); trying again at the next checkpoint", log.dir(),
                    e.getMessage());
        }
    }

    private void report(long now) {
        lastReportMs = now;
        List<String> waiting = lanes.values().stream().filter(l -> l.problem != null).limit(3)
                .map(l -> l.partition + " (" + l.problem + ")").toList();
        String line = String.format("spool %s: %d record(s) in %d batch(es) waiting, %d bytes on disk; %d forwarded, %d dropped"
                        + " since start%s", log.dir(), pendingRecords.get(), pendingBatches.get(), log.sizeInBytes(),
                forwardedRecords.get(), droppedRecords.get(), waiting.isEmpty() ? "" : "; waiting: " + String.join(", ", waiting));
        if (!line.equals(lastReport)) {
            LOG.info(line);
            lastReport = line;
        }
    }

    private void wakeup() {
        synchronized (signal) {
            woken = true;
            signal.notifyAll();
        }
    }

    private void awaitWakeup(long delayMs) {
        synchronized (signal) {
            if (!woken && delayMs > 0) {
                try {
                    signal.wait(delayMs);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    running = false;
                }
            }
            woken = false;
        }
    }

    /** Stops forwarding (a call in flight is left to the leader: it is sent again after the restart) and checkpoints. */
    @Override
    public void close() {
        running = false;
        wakeup();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
