package io.strata.bench;

import io.strata.records.Compression;
import io.strata.records.RecordBatchBuilder;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;

/** Record batches for the benchmarks: random payloads, as Kafka's perf tools use. */
final class BenchBatches {

    private BenchBatches() {
    }

    /** One uncompressed batch of {@code records} records of {@code recordSize} random bytes. */
    static ByteBuffer batch(int records, int recordSize, long timestamp) {
        Random random = new Random(42);
        RecordBatchBuilder builder = new RecordBatchBuilder(Compression.NONE, records * (recordSize + 16) + 64);
        for (int i = 0; i < records; i++) {
            byte[] value = new byte[recordSize];
            random.nextBytes(value);
            builder.append(timestamp + i, null, value, List.of());
        }
        return builder.build();
    }
}
