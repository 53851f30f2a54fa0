package io.strata.client.producer;

import io.strata.client.StrataException;
import io.strata.client.TopicPartition;
import io.strata.proto.v1.ErrorCode;
import io.strata.records.RecordBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The idempotent producer (enable.idempotence, the default) against a fake leader that drops retried batches. */
@Timeout(60)
class IdempotentProducerTest extends FakeStrataProducerTest {

    private List<String> values(TopicPartition tp) {
        return values(fake.records(tp));
    }

    /** Sends {@code n} records per partition of "two", returns what was sent to each partition in order. */
    private static Map<Integer, List<String>> sendToBoth(StrataProducer<String, String> producer, int n,
                                                         List<CompletableFuture<RecordMetadata>> futures) {
        Map<Integer, List<String>> sent = new HashMap<>();
        for (int i = 0; i < n; i++) {
            for (int p = 0; p < 2; p++) {
                String v = "p" + p + "-" + i;
                sent.computeIfAbsent(p, x -> new ArrayList<>()).add(v);
                futures.add(producer.send(new ProducerRecord<>("two", p, null, v)));
            }
        }
        return sent;
    }

    @Test
    void aLostAnswerIsRetriedWithTheSameSequenceAndEveryRecordLandsOnceInOrder() {
        TopicPartition p0 = new TopicPartition("two", 0);
        TopicPartition p1 = new TopicPartition("two", 1);
        fake.loseAnswers(p0, 3);
        fake.loseAnswers(p1, 2);
        List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
        Map<Integer, List<String>> sent;
        try (var producer = producer(Map.of("batch.size", 300, "linger.ms", 0))) {
            sent = sendToBoth(producer, 300, futures);
            producer.flush();
            futures.forEach(CompletableFuture::join);
        }
        assertThat(values(p0)).containsExactlyElementsOf(sent.get(0));
        assertThat(values(p1)).containsExactlyElementsOf(sent.get(1));
        for (int p = 0; p < 2; p++) {
            int partition = p;
            assertThat(futures.stream().map(CompletableFuture::join).filter(md -> md.partition() == partition)
                    .map(RecordMetadata::offset).toList()).as("offsets of partition %d in send order", p)
                    .isEqualTo(java.util.stream.LongStream.range(0, 300).boxed().toList());
        }
        assertThat(fake.maxConcurrentProduces(p0)).isEqualTo(1);
    }

    @Test
    void aRequestCarriesConsecutiveBatchesOfItsPartitionUpToTheLeadersDuplicateWindow() throws Exception {
        TopicPartition tp = new TopicPartition("t", 0);
        CountDownLatch held = fake.holdProduces(tp);
        List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
        List<String> sent = new ArrayList<>();
        try (var producer = producer(Map.of("batch.size", 100, "linger.ms", 0))) {
            futures.add(producer.send(new ProducerRecord<>("t", 0, null, "first")));
            sent.add("first");
            fake.awaitProduceCalls(1);
            for (int i = 0; i < 600; i++) { // more batches than one request takes queue behind the held request
                sent.add("v" + i);
                futures.add(producer.send(new ProducerRecord<>("t", 0, null, "v" + i)));
            }
            held.countDown();
            producer.flush();
            futures.forEach(CompletableFuture::join);
        }
        assertThat(values(tp)).containsExactlyElementsOf(sent);
        List<ByteBuffer> batches = fake.batches(tp);
        int window = Sender.MAX_IDEMPOTENT_BATCHES_IN_FLIGHT;
        assertThat(batches.size()).as("batches written").isGreaterThan(window + 1);
        assertThat(fake.produceCalls()).as("requests")
                .isLessThan(batches.size() / 4).isGreaterThanOrEqualTo(1 + (batches.size() - 1 + window - 1) / window);
        int expected = 0;
        for (ByteBuffer b : batches) {
            assertThat(RecordBatch.baseSequence(b, 0)).as("sequences continue across the batches of a request").isEqualTo(expected);
            expected = RecordBatch.incrementSequence(RecordBatch.lastSequence(b, 0), 1);
        }
    }

    @Test
    void aBatchThatFailsForGoodDoesNotTakeTheQueuedBatchBehindItDown() throws Exception {
        TopicPartition tp = new TopicPartition("t", 0);
        fake.maxRecordValueBytes(1000);
        CountDownLatch held = fake.holdProduces(tp);
        try (var producer = producer(Map.of("batch.size", 4096, "max.request.size", 5000, "linger.ms", 0))) {
            CompletableFuture<RecordMetadata> small1 = producer.send(new ProducerRecord<>("t", 0, null, "small-1"));
            fake.awaitProduceCalls(1);
            CompletableFuture<RecordMetadata> big = producer.send(new ProducerRecord<>("t", 0, null, "x".repeat(4500)));
            CompletableFuture<RecordMetadata> small2 = producer.send(new ProducerRecord<>("t", 0, null, "small-2"));
            held.countDown();
            assertThatThrownBy(big::join).cause().isInstanceOfSatisfying(StrataException.class,
                    e -> assertThat(e.reason()).isEqualTo(ErrorCode.RECORD_TOO_LARGE));
            small1.join();
            small2.join();
        }
        assertThat(values(tp)).containsExactly("small-1", "small-2");
    }

    @Test
    void withoutIdempotenceALostAnswerWritesTheBatchTwice() {
        TopicPartition tp = new TopicPartition("t", 0);
        fake.loseAnswers(tp, 1);
        try (var producer = producer(Map.of("enable.idempotence", false))) {
            producer.send(new ProducerRecord<>("t", "a")).join();
        }
        assertThat(values(tp)).containsExactly("a", "a");
        assertThat(RecordBatch.producerId(fake.batches(tp).getFirst(), 0)).isEqualTo(RecordBatch.NO_PRODUCER_ID);
        assertThat(fake.initProducerIdCalls()).isZero();
    }

    @Test
    void theProducerAsksForItsIdOnceBeforeItsFirstSendAndNumbersEachPartitionFromZero() {
        TopicPartition p0 = new TopicPartition("two", 0);
        TopicPartition p1 = new TopicPartition("two", 1);
        try (var producer = producer(Map.of("batch.size", 200, "linger.ms", 0))) {
            assertThat(fake.initProducerIdCalls()).as("lazily").isZero();
            List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
            sendToBoth(producer, 40, futures);
            producer.flush();
            futures.forEach(CompletableFuture::join);
        }
        assertThat(fake.initProducerIdCalls()).isEqualTo(1);
        for (TopicPartition tp : List.of(p0, p1)) {
            int expected = 0;
            for (ByteBuffer b : fake.batches(tp)) {
                assertThat(RecordBatch.producerId(b, 0)).isEqualTo(1001);
                assertThat(RecordBatch.producerEpoch(b, 0)).isZero();
                assertThat(RecordBatch.baseSequence(b, 0)).as("%s", tp).isEqualTo(expected);
                expected += RecordBatch.recordCount(b, 0);
            }
            assertThat(expected).isEqualTo(40);
        }
    }

    @Test
    void aRetriableInitProducerIdFailureIsRetried() {
        fake.failInitProducerId(ErrorCode.METADATA_UNAVAILABLE, ErrorCode.CAS_FAILED);
        try (var producer = producer(Map.of())) {
            assertThat(producer.send(new ProducerRecord<>("t", "a")).join().offset()).isZero();
        }
        assertThat(fake.initProducerIdCalls()).isEqualTo(3);
    }

    @Test
    void aNonRetriableInitProducerIdFailureFailsTheWaitingRecordsSayingHowToProduceWithoutIdempotence() {
        fake.failInitProducerId(ErrorCode.INVALID_REQUEST);
        try (var producer = producer(Map.of())) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>("t", "a")).join())
                    .cause().isInstanceOfSatisfying(StrataException.class, e -> {
                        assertThat(e.reason()).isEqualTo(ErrorCode.INVALID_REQUEST);
                        assertThat(e.getMessage()).contains("InitProducerId").contains("enable.idempotence=false");
                    });
            assertThat(producer.send(new ProducerRecord<>("t", "b")).join().offset()).as("asks again").isZero();
        }
    }

    @Test
    void outOfOrderSequenceFailsTheBatchNamingItsSequencesAndLaterRecordsGoOutUnderANewProducerId() {
        TopicPartition tp = new TopicPartition("t", 0);
        try (var producer = producer(Map.of())) {
            assertThat(producer.send(new ProducerRecord<>("t", "a")).join().offset()).isZero();
            fake.failProduces(tp, ErrorCode.OUT_OF_ORDER_SEQUENCE);
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>("t", "b")).join())
                    .cause().isInstanceOfSatisfying(StrataException.class, e -> {
                        assertThat(e.reason()).isEqualTo(ErrorCode.OUT_OF_ORDER_SEQUENCE);
                        assertThat(e.retriable()).isFalse();
                        assertThat(e.getMessage()).contains("producer id 1001").contains("sequences 1..1")
                                .contains("another producer id");
                    });
            assertThat(producer.send(new ProducerRecord<>("t", "c")).join().offset()).isEqualTo(1);
        }
        assertThat(values(tp)).containsExactly("a", "c");
        List<ByteBuffer> batches = fake.batches(tp);
        assertThat(RecordBatch.producerId(batches.get(1), 0)).isEqualTo(1002);
        assertThat(RecordBatch.baseSequence(batches.get(1), 0)).isZero();
    }

    @Test
    void invalidProducerEpochAndUnknownProducerIdFailTheBatchWithTheirReason() {
        TopicPartition tp = new TopicPartition("t", 0);
        fake.failProduces(tp, ErrorCode.INVALID_PRODUCER_EPOCH, ErrorCode.UNKNOWN_PRODUCER_ID);
        try (var producer = producer(Map.of())) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>("t", "a")).join()).cause()
                    .isInstanceOfSatisfying(StrataException.class,
                            e -> assertThat(e.reason()).isEqualTo(ErrorCode.INVALID_PRODUCER_EPOCH));
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>("t", "b")).join()).cause()
                    .isInstanceOfSatisfying(StrataException.class,
                            e -> assertThat(e.reason()).isEqualTo(ErrorCode.UNKNOWN_PRODUCER_ID));
            assertThat(producer.send(new ProducerRecord<>("t", "c")).join().offset()).isZero();
        }
        assertThat(fake.initProducerIdCalls()).isEqualTo(3);
    }

    @Test
    void duplicateSequenceCountsAsSuccessWithoutAnOffset() {
        fake.failProduces(new TopicPartition("t", 0), ErrorCode.DUPLICATE_SEQUENCE);
        try (var producer = producer(Map.of())) {
            assertThat(producer.send(new ProducerRecord<>("t", "a")).join().offset()).isEqualTo(-1);
        }
    }
}
