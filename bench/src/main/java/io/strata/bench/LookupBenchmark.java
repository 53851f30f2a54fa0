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
import org.openjdk.jmh.annotations.Param;
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
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Offset and timestamp lookups (a consumer's seek) in a partition of 1, 10, 100 or 1,000
 * segments: the cost should stay flat as segments are added. The log is the same ~1 GiB
 * (16,000 batches of 64 KiB) in every case, cut into more or fewer segments, so what varies
 * is the segment count and not the working set (a 1 MiB log would sit in the CPU cache and
 * flatter the small cases). Each op looks up a random offset (or timestamp) and reads the
 * batch that holds it. The log is reopened after filling so lookups use the on-disk indexes.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class LookupBenchmark {

    /** Batches in the log: 16,000 (~1 GiB) whatever the segment count. */
    public int totalBatches = 16_000;

    @Param({"1", "10", "100", "1000"})
    public int segments;

    private Path dir;
    private LogManager manager;
    private PartitionLog log;
    private long baseTimestamp;
    private long endOffset;
    private final SplittableRandom random = new SplittableRandom(7);

    @Setup(Level.Trial)
    public void fillLog() throws IOException {
        dir = Files.createTempDirectory(Path.of(System.getProperty("strata.bench.dir", System.getProperty("java.io.tmpdir"))),
                "strata-lookup");
        baseTimestamp = 1_700_000_000_000L;
        ByteBuffer batch = BenchBatches.batch(LogAppendBenchmark.RECORDS_PER_BATCH, LogAppendBenchmark.RECORD_SIZE, baseTimestamp);
        int batchBytes = batch.remaining();
        LogConfig defaults = LogConfig.defaults();
        // Segments of exactly totalBatches / segments batches.
        LogConfig small = new LogConfig((long) batchBytes * (totalBatches / segments), defaults.segmentMs(), -1, -1,
                defaults.indexIntervalBytes(), defaults.maxMessageBytes(), defaults.flushMessages(), defaults.flushMs(),
                defaults.fileDeleteDelayMs());
        TopicPartition tp = new TopicPartition("bench", 0);
        LogManager filler = new LogManager(List.of(dir), Clock.systemUTC());
        filler.startup();
        PartitionLog writing = filler.getOrCreateLog(tp, "bench-topic-id", small);
        long ts = baseTimestamp;
        for (int i = 0; i < totalBatches; i++) {
            ByteBuffer b = BenchBatches.batch(LogAppendBenchmark.RECORDS_PER_BATCH, LogAppendBenchmark.RECORD_SIZE, ts);
            writing.append(b, 0);
            ts += LogAppendBenchmark.RECORDS_PER_BATCH;
        }
        filler.close();
        manager = new LogManager(List.of(dir), Clock.systemUTC());
        manager.startup();
        log = manager.getOrCreateLog(tp, "bench-topic-id", small);
        endOffset = log.logEndOffset();
        if (log.segmentCount() < segments) {
            throw new IllegalStateException("expected " + segments + " segments, got " + log.segmentCount());
        }
    }

    @Benchmark
    public int offsetLookup() {
        long offset = random.nextLong(endOffset);
        return log.read(offset, 1).batches().remaining();
    }

    @Benchmark
    public long timestampLookup() {
        long target = baseTimestamp + random.nextLong(endOffset);
        return log.offsetForTimestamp(target).orElseThrow().offset();
    }

    @TearDown(Level.Trial)
    public void deleteLog() throws IOException {
        manager.close();
        BenchFiles.deleteRecursively(dir);
    }
}
