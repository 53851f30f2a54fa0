package io.strata.ingestion.spool;

import io.strata.client.StrataException;
import io.strata.client.TopicPartition;
import io.strata.client.producer.DefaultPartitioner;
import io.strata.client.producer.Murmur2;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.PublishRecord;
import io.strata.proto.v1.PublishResult;
import io.strata.records.Compression;
import io.strata.records.Record;
import io.strata.records.RecordBatch;
import io.strata.records.RecordBatches;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.strata.ingestion.spool.SpoolTestData.ID;
import static io.strata.ingestion.spool.SpoolTestData.record;
import static org.assertj.core.api.Assertions.assertThat;

class SpoolBatcherTest {

    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochMilli(5_000), ZoneOffset.UTC);
    private static final Map<String, SpoolBatcher.TopicLookup> TOPICS = Map.of(
            "events", new SpoolBatcher.TopicLookup.Known(4, 1_000),
            "gone", new SpoolBatcher.TopicLookup.Failed(new StrataException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                    "topic 'gone' does not exist")));

    private static SpoolBatcher batcher(int batchSize) {
        return new SpoolBatcher(new DefaultPartitioner(), Compression.LZ4, batchSize, CLOCK, Map.of());
    }

    private static List<String> values(SpoolEntry e) {
        return RecordBatches.decode(e.batch().duplicate()).stream()
                .map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
    }

    @Test
    void aRequestsRecordsForOnePartitionBecomeOneSealedCompressedBatch() {
        List<PublishRecord> records = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            records.add(record("events", "user-1", "v" + i));
        }
        SpoolBatcher.Batched b = batcher(65536).batch(records, TOPICS, ID);

        int partition = Murmur2.partitionForKey("user-1".getBytes(StandardCharsets.UTF_8), 4);
        assertThat(b.entries()).hasSize(1);
        SpoolEntry e = b.entries().getFirst();
        assertThat(e.partition()).isEqualTo(new TopicPartition("events", partition));
        assertThat(RecordBatch.compression(e.batch(), 0)).isEqualTo(Compression.LZ4);
        assertThat(RecordBatch.producerId(e.batch(), 0)).isEqualTo(ID.producerId());
        assertThat(RecordBatch.baseSequence(e.batch(), 0)).isZero();
        assertThat(RecordBatch.isCrcValid(e.batch(), 0)).isTrue();
        assertThat(values(e)).containsExactly("v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9");
        assertThat(b.results()).hasSize(10).allSatisfy(r -> {
            assertThat(r.getError()).isEqualTo(ErrorCode.ERROR_CODE_UNSPECIFIED);
            assertThat(r.getPartition()).isEqualTo(partition);
            assertThat(r.getOffset()).isEqualTo(-1);
            assertThat(r.getTimestampMs()).isEqualTo(5_000);
        });
        assertThat(b.bytes()).isEqualTo(SpoolSegment.FRAME_OVERHEAD + e.payloadSize());
    }

    @Test
    void sequencesContinueAcrossRequestsOnlyOnceARequestIsCommitted() {
        SpoolBatcher batcher = batcher(65536);
        List<PublishRecord> three = List.of(record("events", null, "a").toBuilder().setPartition(2).build(),
                record("events", null, "b").toBuilder().setPartition(2).build(),
                record("events", null, "c").toBuilder().setPartition(2).build());

        SpoolBatcher.Batched refused = batcher.batch(three, TOPICS, ID);
        SpoolBatcher.Batched first = batcher.batch(three, TOPICS, ID);
        batcher.commit(first);
        SpoolBatcher.Batched second = batcher.batch(three, TOPICS, ID);

        assertThat(RecordBatch.baseSequence(refused.entries().getFirst().batch(), 0)).isZero();
        assertThat(RecordBatch.baseSequence(first.entries().getFirst().batch(), 0)).isZero();
        assertThat(RecordBatch.baseSequence(second.entries().getFirst().batch(), 0)).isEqualTo(3);
    }

    @Test
    void aPartitionsRecordsPastTheBatchSizeGoIntoSeveralBatchesWithContiguousSequences() {
        List<PublishRecord> records = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            records.add(record("events", null, "value-" + "x".repeat(80) + i).toBuilder().setPartition(1).build());
        }
        SpoolBatcher.Batched b = batcher(1024).batch(records, TOPICS, ID);

        assertThat(b.entries()).hasSizeGreaterThan(2);
        int expectedSequence = 0;
        List<String> all = new ArrayList<>();
        for (SpoolEntry e : b.entries()) {
            assertThat(RecordBatch.baseSequence(e.batch(), 0)).isEqualTo(expectedSequence);
            expectedSequence += RecordBatch.recordCount(e.batch(), 0);
            all.addAll(values(e));
        }
        assertThat(expectedSequence).isEqualTo(30);
        assertThat(all).hasSize(30).last().asString().endsWith("29");
    }

    @Test
    void recordsThatCannotBeSpooledGetTheirOwnErrorAndTakeNoSequence() {
        List<PublishRecord> records = List.of(
                record("events", null, "ok").toBuilder().setPartition(0).build(),
                record("events", null, "no such partition").toBuilder().setPartition(9).build(),
                record("gone", null, "unknown topic"),
                record("events", null, "x".repeat(2_000)).toBuilder().setPartition(0).build(),
                record("events", null, "ok too").toBuilder().setPartition(0).build());
        SpoolBatcher.Batched b = batcher(65536).batch(records, TOPICS, ID);

        assertThat(b.results()).extracting(PublishResult::getError).containsExactly(ErrorCode.ERROR_CODE_UNSPECIFIED,
                ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.RECORD_TOO_LARGE,
                ErrorCode.ERROR_CODE_UNSPECIFIED);
        assertThat(b.results().get(3).getErrorMessage()).contains("max.message.bytes=1000");
        assertThat(b.entries()).singleElement().satisfies(e -> {
            assertThat(values(e)).containsExactly("ok", "ok too");
            assertThat(RecordBatch.lastSequence(e.batch(), 0)).isEqualTo(1);
        });
    }

    @Test
    void keylessRecordsStickToOnePartitionPerRequestAndMoveOnAfterIt() {
        SpoolBatcher batcher = batcher(65536);
        List<PublishRecord> keyless = List.of(record("events", null, "a"), record("events", null, "b"));
        List<Integer> partitions = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            SpoolBatcher.Batched b = batcher.batch(keyless, TOPICS, ID);
            assertThat(b.entries()).hasSize(1);
            batcher.commit(b);
            partitions.add(b.entries().getFirst().partition().partition());
        }
        for (int i = 1; i < partitions.size(); i++) {
            assertThat(partitions.get(i)).isNotEqualTo(partitions.get(i - 1));
        }
    }

    @Test
    void recordsKeepTheirTimestampsHeadersAndKeys() {
        PublishRecord r = record("events", "k", "v").toBuilder().setTimestampMs(1234)
                .addHeaders(io.strata.proto.v1.Header.newBuilder().setKey("trace")
                        .setValue(com.google.protobuf.ByteString.copyFromUtf8("t1"))).build();
        SpoolEntry e = batcher(65536).batch(List.of(r), TOPICS, ID).entries().getFirst();
        Record decoded = RecordBatches.decode(e.batch().duplicate()).getFirst();
        assertThat(decoded.timestamp()).isEqualTo(1234);
        assertThat(new String(decoded.key(), StandardCharsets.UTF_8)).isEqualTo("k");
        assertThat(decoded.headers()).singleElement().satisfies(h -> assertThat(h.key()).isEqualTo("trace"));
    }
}
