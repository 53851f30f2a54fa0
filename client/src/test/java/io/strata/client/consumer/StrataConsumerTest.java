package io.strata.client.consumer;

import io.strata.client.PartitionInfo;
import io.strata.client.StrataException;
import io.strata.client.TopicPartition;
import io.strata.client.serialization.StringDeserializer;
import io.strata.client.testing.FakeStrata;
import io.strata.proto.v1.ErrorCode;
import io.strata.records.Compression;
import io.strata.records.RecordBatchBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(60)
class StrataConsumerTest {

    private static final TopicPartition T0 = new TopicPartition("t", 0);
    private static final TopicPartition T1 = new TopicPartition("t", 1);

    private FakeStrata fake;

    @BeforeEach
    void start() throws Exception {
        fake = new FakeStrata().topic("t", 2);
    }

    @AfterEach
    void stop() throws Exception {
        fake.close();
    }

    private StrataConsumer<String, String> consumer(Map<String, Object> extra) {
        Map<String, Object> config = new HashMap<>();
        config.put("bootstrap.servers", fake.bootstrap());
        config.put("retry.backoff.ms", 1);
        config.put("fetch.max.wait.ms", 50);
        config.putAll(extra);
        return new StrataConsumer<>(config, new StringDeserializer(), new StringDeserializer());
    }

    /** Appends one batch of records "prefix-i" with timestamps firstTimestamp + i. */
    private void appendBatch(TopicPartition tp, String prefix, int count, long firstTimestamp) {
        RecordBatchBuilder b = new RecordBatchBuilder(Compression.NONE, 1024);
        for (int i = 0; i < count; i++) {
            b.append(firstTimestamp + i, ("k" + i).getBytes(StandardCharsets.UTF_8),
                    (prefix + "-" + i).getBytes(StandardCharsets.UTF_8), List.of());
        }
        fake.append(tp, b.build());
    }

    private static List<ConsumerRecord<String, String>> pollUntil(StrataConsumer<String, String> c, int count) {
        List<ConsumerRecord<String, String>> out = new ArrayList<>();
        while (out.size() < count) {
            out.addAll(c.poll(Duration.ofMillis(200)));
        }
        return out;
    }

    @Test
    void recordsBelowTheRequestedOffsetInTheFirstBatchAreSkipped() {
        appendBatch(T0, "a", 10, 1000);
        try (var c = consumer(Map.of())) {
            c.assign(List.of(T0));
            c.seek(T0, 5);
            List<ConsumerRecord<String, String>> records = pollUntil(c, 5);
            assertThat(records).extracting(ConsumerRecord::offset).containsExactly(5L, 6L, 7L, 8L, 9L);
            assertThat(records.get(0).value()).isEqualTo("a-5");
            assertThat(records.get(0).key()).isEqualTo("k5");
            assertThat(records.get(0).timestamp()).isEqualTo(1005);
            assertThat(c.position(T0)).isEqualTo(10);
        }
    }

    @Test
    void readsEveryPartitionInOffsetOrder() {
        appendBatch(T0, "p0", 3, 1);
        appendBatch(T1, "p1", 4, 1);
        appendBatch(T0, "p0b", 2, 1);
        try (var c = consumer(Map.of("auto.offset.reset", "earliest"))) {
            c.assign(List.of(T0, T1));
            List<ConsumerRecord<String, String>> records = pollUntil(c, 9);
            assertThat(records.stream().filter(r -> r.partition() == 0).map(ConsumerRecord::offset))
                    .containsExactly(0L, 1L, 2L, 3L, 4L);
            assertThat(records.stream().filter(r -> r.partition() == 1).map(ConsumerRecord::offset))
                    .containsExactly(0L, 1L, 2L, 3L);
        }
    }

    @Test
    void aPartitionIsReadThroughOneFetchStreamThatCarriesLaterAppendsToo() {
        appendBatch(T0, "a", 3, 1);
        try (var c = consumer(Map.of("auto.offset.reset", "earliest"))) {
            c.assign(List.of(T0));
            assertThat(pollUntil(c, 3)).extracting(ConsumerRecord::value).containsExactly("a-0", "a-1", "a-2");
            appendBatch(T0, "b", 2, 1);
            appendBatch(T0, "c", 2, 1);
            assertThat(pollUntil(c, 4)).extracting(ConsumerRecord::value).containsExactly("b-0", "b-1", "c-0", "c-1");
            assertThat(fake.fetchStreamsOpened()).isEqualTo(1);
        }
    }

    @Test
    void aSeekReopensTheStreamAtTheNewPosition() {
        appendBatch(T0, "a", 10, 1);
        try (var c = consumer(Map.of("auto.offset.reset", "earliest"))) {
            c.assign(List.of(T0));
            assertThat(pollUntil(c, 10)).extracting(ConsumerRecord::offset).startsWith(0L).endsWith(9L);
            c.seek(T0, 4);
            assertThat(pollUntil(c, 6)).extracting(ConsumerRecord::offset).containsExactly(4L, 5L, 6L, 7L, 8L, 9L);
            assertThat(fake.fetchStreamsOpened()).isEqualTo(2);
        }
    }

    @Test
    void aStreamIsReopenedOnceTheMetadataNamesANewLeaderTermEvenWhileItsAnswerIsAwaited() {
        appendBatch(T0, "a", 2, 1);
        try (var c = consumer(Map.of("auto.offset.reset", "earliest", "metadata.max.age.ms", 50))) {
            c.assign(List.of(T0));
            assertThat(pollUntil(c, 2)).extracting(ConsumerRecord::value).containsExactly("a-0", "a-1");
            // The old leader's stream stays silent (the fake's never ends); the new term's metadata moves the reader.
            fake.leaderEpoch("t", 2);
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (fake.fetchStreamsOpened() < 2 && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(20));
            }
            assertThat(fake.fetchStreamsOpened()).isEqualTo(2);
            appendBatch(T0, "b", 1, 1);
            assertThat(pollUntil(c, 1)).extracting(ConsumerRecord::value).containsExactly("b-0");
        }
    }

    @Test
    void pausingClosesThePartitionsStreamAndResumingReadsOnFromThePosition() {
        appendBatch(T0, "a", 2, 1);
        try (var c = consumer(Map.of("auto.offset.reset", "earliest"))) {
            c.assign(List.of(T0));
            assertThat(pollUntil(c, 2)).extracting(ConsumerRecord::value).containsExactly("a-0", "a-1");
            c.pause(List.of(T0));
            appendBatch(T0, "b", 2, 1);
            assertThat(c.poll(Duration.ofMillis(100))).isEmpty();
            c.resume(List.of(T0));
            assertThat(pollUntil(c, 2)).extracting(ConsumerRecord::value).containsExactly("b-0", "b-1");
            assertThat(fake.fetchStreamsOpened()).isEqualTo(2);
        }
    }

    @Test
    void aNodeWithoutFetchStreamIsReadWithUnaryFetches() {
        fake.servesFetchStream(false);
        appendBatch(T0, "a", 3, 1);
        appendBatch(T1, "b", 2, 1);
        try (var c = consumer(Map.of("auto.offset.reset", "earliest"))) {
            c.assign(List.of(T0, T1));
            assertThat(pollUntil(c, 5)).extracting(ConsumerRecord::value)
                    .containsExactlyInAnyOrder("a-0", "a-1", "a-2", "b-0", "b-1");
            appendBatch(T0, "c", 1, 1);
            assertThat(pollUntil(c, 1)).extracting(ConsumerRecord::value).containsExactly("c-0");
            assertThat(fake.fetchStreamsOpened()).isZero();
        }
    }

    @Test
    void maxPollRecordsBoundsOnePoll() {
        appendBatch(T0, "a", 10, 1);
        try (var c = consumer(Map.of("max.poll.records", 3, "auto.offset.reset", "earliest"))) {
            c.assign(List.of(T0));
            List<ConsumerRecord<String, String>> first = new ArrayList<>();
            while (first.isEmpty()) {
                first = c.poll(Duration.ofMillis(200));
            }
            assertThat(first).hasSize(3);
            assertThat(pollUntil(c, 7)).extracting(ConsumerRecord::offset).startsWith(3L);
        }
    }

    @Test
    void largeAnswersParsedIntoReusedBuffersKeepEveryRecordIntact() {
        // 30 batches of ~20 KB in each partition; answers of ~160 KB are parsed into pooled arrays that the
        // next answers reuse: a record still pointing into a reused array would read another answer's bytes.
        String padding = "x".repeat(200);
        for (int b = 0; b < 30; b++) {
            appendBatch(T0, "p0-" + b + "-" + padding, 100, 1);
            appendBatch(T1, "p1-" + b + "-" + padding, 100, 1);
        }
        try (var c = consumer(Map.of("auto.offset.reset", "earliest", "max.partition.fetch.bytes", 160_000))) {
            c.assign(List.of(T0, T1));
            List<ConsumerRecord<String, String>> records = pollUntil(c, 6_000);
            for (ConsumerRecord<String, String> r : records) {
                long batch = r.offset() / 100;
                assertThat(r.value()).isEqualTo("p" + r.partition() + "-" + batch + "-" + padding + "-" + r.offset() % 100);
                assertThat(r.key()).isEqualTo("k" + r.offset() % 100);
            }
            assertThat(records.stream().filter(r -> r.partition() == 0).map(ConsumerRecord::offset))
                    .containsExactlyElementsOf(java.util.stream.LongStream.range(0, 3_000).boxed().toList());
        }
    }

    @Test
    void seekToEndReadsOnlyNewRecordsAndSeekToBeginningRereads() {
        appendBatch(T0, "old", 3, 1);
        try (var c = consumer(Map.of())) {
            c.assign(List.of(T0));
            c.seekToEnd(List.of(T0));
            assertThat(c.position(T0)).isEqualTo(3);
            appendBatch(T0, "new", 1, 1);
            assertThat(pollUntil(c, 1)).extracting(ConsumerRecord::value).containsExactly("new-0");

            c.seekToBeginning(List.of());
            assertThat(pollUntil(c, 4)).extracting(ConsumerRecord::value).startsWith("old-0");
        }
    }

    @Test
    void beginningAndEndOffsets() {
        appendBatch(T0, "a", 5, 1);
        fake.truncateBefore(T0, 2);
        try (var c = consumer(Map.of())) {
            assertThat(c.beginningOffsets(List.of(T0, T1))).containsEntry(T0, 2L).containsEntry(T1, 0L);
            assertThat(c.endOffsets(List.of(T0, T1))).containsEntry(T0, 5L).containsEntry(T1, 0L);
        }
    }

    @Test
    void offsetsForTimesIsExactWithinABatch() {
        appendBatch(T0, "a", 10, 100); // timestamps 100..109 in one batch, offsets 0..9
        appendBatch(T0, "b", 10, 200); // timestamps 200..209, offsets 10..19
        try (var c = consumer(Map.of())) {
            Map<TopicPartition, OffsetAndTimestamp> found = c.offsetsForTimes(Map.of(T0, 105L, T1, 0L));
            assertThat(found.get(T0)).isEqualTo(new OffsetAndTimestamp(5, 105));
            assertThat(found).containsEntry(T1, null);

            assertThat(c.offsetsForTimes(Map.of(T0, 150L)).get(T0)).isEqualTo(new OffsetAndTimestamp(10, 200));
            assertThat(c.offsetsForTimes(Map.of(T0, 10_000L)).get(T0)).isNull();
        }
    }

    @Test
    void offsetOutOfRangeResetsByAutoOffsetReset() {
        appendBatch(T0, "a", 5, 1);
        try (var c = consumer(Map.of("auto.offset.reset", "earliest"))) {
            c.assign(List.of(T0));
            c.seek(T0, 50);
            assertThat(pollUntil(c, 5)).extracting(ConsumerRecord::offset).containsExactly(0L, 1L, 2L, 3L, 4L);
        }
    }

    @Test
    void offsetOutOfRangeWithResetNoneFailsThePoll() {
        appendBatch(T0, "a", 5, 1);
        try (var c = consumer(Map.of("auto.offset.reset", "none"))) {
            c.assign(List.of(T0));
            c.seek(T0, 50);
            assertThatThrownBy(() -> {
                while (true) {
                    c.poll(Duration.ofMillis(200));
                }
            }).isInstanceOfSatisfying(StrataException.class,
                    e -> assertThat(e.reason()).isEqualTo(ErrorCode.OFFSET_OUT_OF_RANGE));
        }
    }

    @Test
    void partitionsForDescribesTheTopicAndFailsFastForAnUnknownOne() {
        try (var c = consumer(Map.of())) {
            assertThat(c.partitionsFor("t")).extracting(PartitionInfo::partition).containsExactly(0, 1);
            assertThatThrownBy(() -> c.partitionsFor("missing")).isInstanceOfSatisfying(StrataException.class,
                    e -> assertThat(e.reason()).isEqualTo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
        }
    }

    @Test
    void pollFailsOnceCoordinationNoLongerKnowsTheTopic() {
        try (var c = consumer(Map.of())) {
            c.assign(List.of(T0));
            c.poll(Duration.ofMillis(50));
            fake.removeTopic("t");
            assertThatThrownBy(() -> {
                while (true) {
                    c.poll(Duration.ofMillis(200));
                }
            }).isInstanceOfSatisfying(StrataException.class,
                    e -> assertThat(e.reason()).isEqualTo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
        }
    }

    @Test
    void pollWithoutAssignmentIsRefused() {
        try (var c = consumer(Map.of())) {
            assertThatThrownBy(() -> c.poll(Duration.ZERO)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void pollReturnsEmptyWhenNothingArrivesInTime() {
        try (var c = consumer(Map.of())) {
            c.assign(List.of(T0));
            assertThat(c.poll(Duration.ofMillis(100))).isEmpty();
        }
    }

    @Test
    void pausedPartitionsStayAssignedButReturnNoRecordsUntilResumed() {
        appendBatch(T0, "p0", 3, 1);
        appendBatch(T1, "p1", 2, 1);
        try (var c = consumer(Map.of("auto.offset.reset", "earliest"))) {
            c.assign(List.of(T0, T1));
            c.pause(List.of(T0));
            assertThat(c.paused()).containsExactly(T0);

            List<ConsumerRecord<String, String>> records = pollUntil(c, 2);
            for (int i = 0; i < 3; i++) {
                records.addAll(c.poll(Duration.ofMillis(50)));
            }
            assertThat(records).extracting(ConsumerRecord::partition).containsOnly(1);
            assertThat(c.assignment()).containsExactly(T0, T1);

            c.resume(List.of(T0));
            assertThat(c.paused()).isEmpty();
            assertThat(pollUntil(c, 3)).extracting(ConsumerRecord::value).containsExactly("p0-0", "p0-1", "p0-2");
        }
    }

    @Test
    void pausingAPartitionThatIsNotAssignedIsRefused() {
        try (var c = consumer(Map.of())) {
            c.assign(List.of(T0));
            assertThatThrownBy(() -> c.pause(List.of(T1))).isInstanceOf(IllegalStateException.class);
            assertThat(c.paused()).isEmpty();
        }
    }
}
