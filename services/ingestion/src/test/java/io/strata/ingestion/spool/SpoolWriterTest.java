package io.strata.ingestion.spool;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.strata.client.producer.DefaultPartitioner;
import io.strata.proto.StrataError;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.PublishRecord;
import io.strata.proto.v1.PublishResult;
import io.strata.records.Compression;
import io.strata.records.RecordBatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static io.strata.ingestion.spool.SpoolTestData.ID;
import static io.strata.ingestion.spool.SpoolTestData.record;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SpoolWriterTest {

    private static final Map<String, SpoolBatcher.TopicLookup> TOPICS = Map.of("events", new SpoolBatcher.TopicLookup.Known(3, 1 << 20));

    @TempDir
    Path dir;

    private SpoolLog log;
    private SpoolWriter writer;
    private final List<SpoolEntryRef> handedOver = new CopyOnWriteArrayList<>();

    private SpoolWriter start(long maxBytes, SpoolWriter.IdentitySource identity) throws IOException {
        log = SpoolLog.open(dir, 1 << 20, 0, (r, e) -> { });
        SpoolBatcher batcher = new SpoolBatcher(new DefaultPartitioner(), Compression.NONE, 65536, Clock.systemUTC(), Map.of());
        writer = new SpoolWriter(log, batcher, identity, handedOver::addAll, maxBytes, 64 << 20, "ingestion-test");
        writer.start();
        return writer;
    }

    @AfterEach
    void stop() {
        if (writer != null) {
            writer.close();
        }
        if (log != null) {
            log.close();
        }
    }

    private static List<PublishRecord> records(int n, int partition, int valueBytes) {
        List<PublishRecord> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(record("events", null, "x".repeat(valueBytes)).toBuilder().setPartition(partition).build());
        }
        return out;
    }

    @Test
    void aRequestIsAnsweredOnceItsEntriesAreOnDiskAndHandedToTheForwarder() throws Exception {
        start(1 << 20, () -> ID);
        List<PublishResult> results = writer.submit(records(3, 1, 10), TOPICS, 100).get(10, TimeUnit.SECONDS);

        assertThat(results).hasSize(3).allSatisfy(r -> {
            assertThat(r.getPartition()).isEqualTo(1);
            assertThat(r.getOffset()).isEqualTo(-1);
        });
        assertThat(handedOver).singleElement().satisfies(ref -> {
            assertThat(ref.recordCount()).isEqualTo(3);
            assertThat(ref.lastSequence()).isEqualTo(2);
        });
        // On disk: a fresh open finds it.
        List<SpoolEntryRef> onDisk = new ArrayList<>();
        SpoolLog.open(dir, 1 << 20, 0, (r, e) -> onDisk.add(r)).close();
        assertThat(onDisk).containsExactlyElementsOf(handedOver);
    }

    @Test
    void concurrentRequestsAreAllSpooledInTheOrderTheirSequencesSay() throws Exception {
        start(64 << 20, () -> ID);
        List<CompletableFuture<List<PublishResult>>> answers = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            Thread thread = new Thread(() -> {
                for (int i = 0; i < 50; i++) {
                    CompletableFuture<List<PublishResult>> f = writer.submit(records(2, 0, 20), TOPICS, 100);
                    synchronized (answers) {
                        answers.add(f);
                    }
                }
            });
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);

        assertThat(handedOver).hasSize(400);
        int expected = 0;
        for (SpoolEntryRef ref : handedOver) {
            assertThat(ref.lastSequence()).isEqualTo(expected + 1);
            expected += 2;
            assertThat(RecordBatch.baseSequence(log.read(ref).batch(), 0)).isEqualTo(expected - 2);
        }
        assertThat(writer.spooledRecords()).isEqualTo(800);
    }

    @Test
    void aFullSpoolRefusesTheRequestWholeWithRetryAdviceAndSpoolsNothingOfIt() throws Exception {
        start(4_000, () -> ID);
        writer.submit(records(10, 2, 200), TOPICS, 100).get(10, TimeUnit.SECONDS);
        long sizeBefore = log.sizeInBytes();

        CompletableFuture<List<PublishResult>> refused = writer.submit(records(10, 2, 200), TOPICS, 100);
        assertThatThrownBy(() -> refused.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                    assertThat(e.getTrailers().get(StrataError.REASON_KEY)).isEqualTo(ErrorCode.BUFFER_EXHAUSTED.name());
                    assertThat(e.getTrailers().get(StrataError.RETRY_AFTER_KEY)).isEqualTo("1000");
                    assertThat(e.getStatus().getDescription()).contains("strata.ingestion.spool.max.bytes=4000",
                            "nothing of this request was spooled");
                });
        assertThat(log.sizeInBytes()).isEqualTo(sizeBefore);

        // A request that fits still goes in, numbered right after the first: the refused one took no sequences.
        writer.submit(records(1, 2, 10), TOPICS, 100).get(10, TimeUnit.SECONDS);
        assertThat(handedOver).hasSize(2);
        assertThat(RecordBatch.baseSequence(log.read(handedOver.get(1)).batch(), 0)).isEqualTo(10);
    }

    @Test
    void withoutAProducerIdTheRequestIsRefusedAsUnavailable() throws Exception {
        start(1 << 20, () -> {
            throw Status.UNAVAILABLE.withDescription("no producer id for its spool yet").asRuntimeException();
        });
        assertThatThrownBy(() -> writer.submit(records(1, 0, 1), TOPICS, 100).get(10, TimeUnit.SECONDS))
                .cause().isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
        assertThat(handedOver).isEmpty();
    }

    @Test
    void aWriteFailureIsStickyAndRefusesLaterRequestsAsStorageError() throws Exception {
        start(1 << 20, () -> ID);
        log.close(); // the files fail underneath the writer
        assertThatThrownBy(() -> writer.submit(records(1, 0, 1), TOPICS, 100).get(10, TimeUnit.SECONDS))
                .cause().isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getTrailers().get(StrataError.REASON_KEY)).isEqualTo(ErrorCode.STORAGE_ERROR.name()));
        assertThat(writer.failed()).isTrue();
        assertThatThrownBy(() -> writer.submit(records(1, 0, 1), TOPICS, 100))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getTrailers().get(StrataError.REASON_KEY)).isEqualTo(ErrorCode.STORAGE_ERROR.name()));
        assertThat(handedOver).isEmpty();
    }

    @Test
    void closingAnswersWhatWasQueuedAndRefusesWhatComesAfter() throws Exception {
        start(1 << 20, () -> ID);
        CompletableFuture<List<PublishResult>> queued = writer.submit(records(1, 0, 1), TOPICS, 100);
        writer.close();
        assertThat(queued.get(10, TimeUnit.SECONDS)).hasSize(1);
        assertThatThrownBy(() -> writer.submit(records(1, 0, 1), TOPICS, 100))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    }
}
