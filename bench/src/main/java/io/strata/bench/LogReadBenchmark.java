package io.strata.bench;

import io.strata.storage.log.LogConfig;
import io.strata.storage.log.LogManager;
import io.strata.storage.log.LogReadResult;
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
 * Sequential read throughput: a consumer reading a 1 GiB log (1 KiB records, 64 KiB batches)
 * from the page cache in 1 MiB fetches, wrapping around at the end. Each op is one 1 MiB
 * read; bytes/s = ops/s × 1 MiB.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class LogReadBenchmark {

    static final int FETCH_BYTES = 1024 * 1024;
    static final long LOG_BYTES = 1024L * 1024 * 1024;

    private Path dir;
    private LogManager manager;
    private PartitionLog log;
    private long offset;
    /** Reused, as the storage service reads into a per-thread direct buffer. */
    private final ByteBuffer scratch = ByteBuffer.allocateDirect(2 * FETCH_BYTES);

    @Setup(Level.Trial)
    public void fillLog() throws IOException {
        dir = Files.createTempDirectory(Path.of(System.getProperty("strata.bench.dir", System.getProperty("java.io.tmpdir"))),
                "strata-read");
        manager = new LogManager(List.of(dir), Clock.systemUTC());
        manager.startup();
        log = manager.getOrCreateLog(new TopicPartition("bench", 0), "bench-topic-id", LogConfig.defaults());
        ByteBuffer batch = BenchBatches.batch(LogAppendBenchmark.RECORDS_PER_BATCH, LogAppendBenchmark.RECORD_SIZE,
                System.currentTimeMillis());
        while (log.sizeInBytes() < LOG_BYTES) {
            log.append(batch.duplicate(), 0);
        }
    }

    @Benchmark
    public int read() {
        if (offset >= log.logEndOffset()) {
            offset = 0;
        }
        LogReadResult r = log.read(offset, FETCH_BYTES, size -> scratch.clear().limit(size));
        offset = r.nextOffset();
        return r.batches().remaining();
    }

    @TearDown(Level.Trial)
    public void deleteLog() throws IOException {
        manager.close();
        BenchFiles.deleteRecursively(dir);
    }
}
