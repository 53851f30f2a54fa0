package io.strata.ingestion.spool;

import io.grpc.Status;
import io.strata.client.StrataException;
import io.strata.client.TopicPartition;
import io.strata.client.internal.Address;
import io.strata.client.internal.Backoff;
import io.strata.client.internal.ChannelPool;
import io.strata.client.internal.CoordinationCalls;
import io.strata.client.internal.Errors;
import io.strata.client.internal.MetadataCache;
import io.strata.client.producer.DefaultPartitioner;
import io.strata.ingestion.config.IngestionConfig;
import io.strata.proto.TopicConfigs;
import io.strata.proto.v1.InitProducerIdRequest;
import io.strata.proto.v1.InitProducerIdResponse;
import io.strata.proto.v1.PublishRecord;
import io.strata.proto.v1.PublishResult;
import io.strata.proto.v1.TopicMetadata;
import io.strata.records.Compression;
import io.strata.records.RecordBatch;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Store-and-forward for {@code ack=spooled} publishes: an on-disk spool in
 * {@code strata.ingestion.spool.dir} that answers a request once its records are fsynced there
 * and forwards them to the partition leaders on its own, in order per partition and exactly
 * once, through storage outages and restarts of this instance. See DESIGN.md in this package
 * for the invariants and failure modes, docs/FORMAT.md ("Ingestion spool") for the files.
 *
 * <p>Opening recovers the files (a torn tail is cut) and resumes forwarding where the
 * checkpoint says. The directory is locked ({@code .lock}): one process per spool.
 * Thread-safe.
 */
public final class Spool implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Spool.class);
    private static final int REQUEST_TIMEOUT_MS = 30_000;

    /**
     * What the spool holds and did, for logs and health data.
     *
     * @param bytes            bytes of its files on disk
     * @param maxBytes         {@code strata.ingestion.spool.max.bytes}
     * @param pendingRecords   records spooled and not yet written to the log
     * @param pendingBatches   their batches
     * @param spooledRecords   records spooled since this start
     * @param forwardedRecords records written to the log since this start
     * @param droppedRecords   records found undeliverable and dropped since this start (logged as errors)
     * @param healthy          false once a write or checkpoint failed (until a restart)
     */
    public record Stats(long bytes, long maxBytes, long pendingRecords, long pendingBatches, long spooledRecords,
                        long forwardedRecords, long droppedRecords, boolean healthy) {
    }

    private final Path dir;
    private final IngestionConfig config;
    private final FileChannel lockFile;
    private final FileLock lock;
    private final SpoolLog log;
    private final ChannelPool channels;
    private final MetadataCache metadata;
    private final CoordinationCalls coordination;
    private final SpoolForwarder forwarder;
    private final SpoolWriter writer;
    private final Clock clock = Clock.systemUTC();
    private SpoolIdentity identity; // guarded by this

    private Spool(IngestionConfig config, List<Address> bootstrap, FileChannel lockFile, FileLock lock) throws IOException {
        this.dir = config.spoolDir();
        this.config = config;
        this.lockFile = lockFile;
        this.lock = lock;
        Map<TopicPartition, SpoolCheckpoint.Progress> progress = SpoolCheckpoint.read(dir);
        long minNext = progress.values().stream().mapToLong(SpoolCheckpoint.Progress::nextEntryId).max().orElse(0);
        List<SpoolEntryRef> recovered = new ArrayList<>();
        Map<TopicPartition, Integer> nextSequences = new HashMap<>();
        progress.values().forEach(p -> nextSequences.put(p.partition(), p.nextSequence()));
        this.log = SpoolLog.open(dir, config.spoolSegmentBytes(), minNext, (ref, entry) -> {
            recovered.add(ref);
            nextSequences.put(ref.partition(), RecordBatch.incrementSequence(ref.lastSequence(), 1));
        });
        try {
            this.identity = SpoolIdentity.read(dir).orElse(null);
            Backoff backoff = new Backoff(50, 2_000);
            this.channels = new ChannelPool(config.instanceId() + "-spool");
            this.metadata = new MetadataCache(bootstrap, channels, REQUEST_TIMEOUT_MS, backoff, clock);
            this.coordination = new CoordinationCalls(bootstrap, channels, REQUEST_TIMEOUT_MS);
            this.forwarder = new SpoolForwarder(log, metadata, channels, coordination, backoff, clock,
                    config.instanceId() + "-spool", progress.values(), recovered, log.nextEntryId());
            SpoolBatcher batcher = new SpoolBatcher(new DefaultPartitioner(), Compression.fromName(config.compressionType()),
                    config.batchSize(), clock, nextSequences);
            this.writer = new SpoolWriter(log, batcher, this::identity, forwarder::submit, config.spoolMaxBytes(),
                    config.bufferMemory(), config.instanceId());
        } catch (IOException | RuntimeException e) {
            log.close();
            throw e;
        }
    }

    /**
     * Opens (recovering) the spool of {@code config} and starts forwarding.
     *
     * @param bootstrap coordination: metadata, producer ids
     * @throws IOException when the directory cannot be used (locked by another process, damaged
     *                     checkpoint or identity, I/O failure)
     */
    public static Spool open(IngestionConfig config, List<Address> bootstrap) throws IOException {
        Path dir = config.spoolDir();
        Files.createDirectories(dir);
        FileChannel lockFile = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = lockFile.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            lockFile.close();
            throw new IOException("spool " + dir + " is in use by another ingestion instance");
        }
        try {
            Spool spool = new Spool(config, bootstrap, lockFile, lock);
            spool.start();
            return spool;
        } catch (IOException | RuntimeException e) {
            lock.release();
            lockFile.close();
            throw e;
        }
    }

    private void start() {
        forwarder.start();
        writer.start();
        Stats s = stats();
        if (s.pendingRecords() > 0) {
            LOG.infof("spool %s: %d record(s) in %d batch(es) (%d bytes on disk) from before the restart are being forwarded",
                    dir, s.pendingRecords(), s.pendingBatches(), s.bytes());
        } else {
            LOG.infof("spool %s open: %d of at most %d bytes used", dir, s.bytes(), s.maxBytes());
        }
    }

    /**
     * Spools a validated request: resolves its topics (waiting for metadata up to
     * {@code strata.ingestion.max.block.ms}), then hands it to the writer.
     *
     * @param requestBytes the request's size, counted against the writer's queue bound
     * @return one result per record once the spooled ones are fsynced: the partition and offset
     *         -1, or the record's own error; fails with a {@link io.grpc.StatusRuntimeException}
     *         when the request was refused whole (spool full: RESOURCE_EXHAUSTED)
     * @throws io.grpc.StatusRuntimeException when refused at once (queue full, failed, closing)
     */
    public CompletableFuture<List<PublishResult>> publish(List<PublishRecord> records, long requestBytes) {
        long deadline = clock.millis() + config.maxBlockMs();
        Map<String, SpoolBatcher.TopicLookup> topics = new LinkedHashMap<>();
        for (PublishRecord r : records) {
            topics.computeIfAbsent(r.getTopic(), t -> lookup(t, deadline));
        }
        return writer.submit(records, topics, requestBytes);
    }

    private SpoolBatcher.TopicLookup lookup(String topic, long deadline) {
        try {
            TopicMetadata t = metadata.awaitTopic(topic, deadline);
            // The topic's override, else the cluster's default, else the built-in one.
            String max = metadata.snapshot().topicConfig(t, TopicConfigs.MAX_MESSAGE_BYTES)
                    .orElse(TopicConfigs.definition(TopicConfigs.MAX_MESSAGE_BYTES).defaultValue());
            return new SpoolBatcher.TopicLookup.Known(t.getPartitionsCount(), Integer.parseInt(max.trim()));
        } catch (StrataException e) {
            return new SpoolBatcher.TopicLookup.Failed(e);
        }
    }

    /**
     * The spool's producer id: read at open, else asked of coordination once (waiting up to
     * {@code max.block.ms}) and kept in the directory. The writer thread calls it.
     */
    private synchronized SpoolIdentity identity() {
        if (identity != null) {
            return identity;
        }
        try {
            InitProducerIdResponse answer = coordination.<InitProducerIdRequest, InitProducerIdResponse>call(
                            InitProducerIdRequest.getDefaultInstance(), stub -> stub::initProducerId)
                    .get(Math.max(1, config.maxBlockMs()), TimeUnit.MILLISECONDS);
            SpoolIdentity allocated = new SpoolIdentity(answer.getProducerId(), (short) answer.getProducerEpoch());
            allocated.write(dir);
            identity = allocated;
            LOG.infof("spool %s: sealing batches as %s", dir, allocated);
            return allocated;
        } catch (ExecutionException | TimeoutException | IOException e) {
            throw Status.UNAVAILABLE.withDescription("ingestion " + config.instanceId() + " has no producer id for its spool"
                    + " yet (" + Errors.toStrataException(e).getMessage() + "); retry shortly").asRuntimeException();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Status.UNAVAILABLE.withDescription("interrupted").asRuntimeException();
        }
    }

    public Stats stats() {
        return new Stats(log.sizeInBytes(), config.spoolMaxBytes(), forwarder.pendingRecords(), forwarder.pendingBatches(),
                writer.spooledRecords(), forwarder.forwardedRecords(), forwarder.droppedRecords(),
                !writer.failed() && !forwarder.failed());
    }

    public Path dir() {
        return dir;
    }

    /**
     * Stops taking requests, answers those queued once they are on disk, stops forwarding
     * (checkpointing what the leaders acknowledged) and only then closes the files, so neither
     * thread meets a closed file. What is not forwarded stays on disk for the next start.
     */
    @Override
    public void close() {
        writer.close();
        forwarder.close();
        Stats s = stats();
        log.close();
        channels.close(2_000);
        try {
            lock.release();
            lockFile.close();
        } catch (IOException e) {
            LOG.debugf("releasing the spool lock: %s", e.getMessage());
        }
        LOG.infof("spool %s closed: %d record(s) wait on disk for the next start (%d bytes)", dir, s.pendingRecords(),
                s.bytes());
    }
}
