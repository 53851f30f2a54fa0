package io.strata.bench;

import io.strata.storage.log.LogConfig;
import io.strata.storage.log.LogManager;
import io.strata.storage.log.PartitionLog;
import io.strata.storage.log.TopicPartition;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Append throughput of one partition log: 1 KiB records in 64 KiB batches (64 records), into
 * the page cache (no fsync, Kafka's default). Each measured shot appends {@link #BATCHES}
 * batches — just under 1 GiB, the volume {@code dd bs=64k count=16384} writes for the baseline
 * in bench/run-log-bench.sh — into a fresh log (deleted after each shot, which also drops its
 * dirty pages), so both sides write the same bytes under the same page-cache conditions.
 * MiB/s = BATCHES × batch bytes / shot time.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, batchSize = LogAppendBenchmark.BATCHES)
@Measurement(iterations = 10, batchSize = LogAppendBenchmark.BATCHES)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class LogAppendBenchmark {

    static final int RECORDS_PER_BATCH = 64;
    static final int RECORD_SIZE = 1024;
    /** 16,000 batches of 66,173 bytes: 0.99 GiB, below one 1 GiB segment (no roll in a shot). */
    static final int BATCHES = 16_000;

    private Path dir;
    private LogManager manager;
    private PartitionLog log;
    private ByteBuffer batch;
    public int batchBytes;

    @Setup(Level.Iteration)
    public void openLog() throws IOException {
        dir = Files.createTempDirectory(Path.of(System.getProperty("strata.bench.dir", System.getProperty("java.io.tmpdir"))),
                "strata-append");
        manager = new LogManager(List.of(dir), Clock.systemUTC());
        manager.startup();
        log = manager.getOrCreateLog(new TopicPartition("bench", 0), "bench-topic-id", LogConfig.defaults());
        // Direct, as the storage service hands the log its per-thread direct copy of a request.
        ByteBuffer heap = BenchBatches.batch(RECORDS_PER_BATCH, RECORD_SIZE, System.currentTimeMillis());
        batch = ByteBuffer.allocateDirect(heap.remaining()).put(heap).flip();
        batchBytes = batch.remaining();
    }

    @Benchmark
    public long append() {
        return log.append(batch.duplicate(), 0).lastOffset();
    }

    @TearDown(Level.Iteration)
    public void deleteLog() throws IOException {
        manager.deleteLog(new TopicPartition("bench", 0));
        manager.close();
        BenchFiles.deleteRecursively(dir);
    }
}
