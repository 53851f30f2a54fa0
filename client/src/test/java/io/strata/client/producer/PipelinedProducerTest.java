package io.strata.client.producer;

import io.strata.client.StrataException;
import io.strata.client.TopicPartition;
import io.strata.client.serialization.StringSerializer;
import io.strata.proto.v1.ErrorCode;
import io.strata.records.Record;
import io.strata.records.RecordBatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The producer on produce streams ({@link StreamingLeader}): up to
 * {@code max.in.flight.requests.per.connection} requests of a partition in flight, and the retry
 * rules that keep every record exactly once and in order when one of them fails. Each record
 * here is a batch and each batch a request (batch.size and max.request.size are tiny), so "the
 * n-th request" is "the n-th record".
 */
@Timeout(60)
class PipelinedProducerTest {

    private static final TopicPartition TP = new TopicPartition("t", 0);

    private StreamingLeader leader;

    @BeforeEach
    void start() throws Exception {
        leader = new StreamingLeader().topic("t", 1).topic("two", 2);
    }

    @AfterEach
    void stop() throws Exception {
        leader.close();
    }

    private StrataProducer<String, String> producer(Map<String, Object> extra) {
        Map<String, Object> config = new HashMap<>();
        config.put("bootstrap.servers", leader.bootstrap());
        config.put("retry.backoff.ms", 1);
        config.put("retry.backoff.max.ms", 5);
        config.put("batch.size", 100);
        config.put("max.request.size", 100); // one batch per request
        config.put("linger.ms", 0);
        config.putAll(extra);
        return new StrataProducer<>(config, new StringSerializer(), new StringSerializer());
    }

    private static List<String> values(List<Record> records) {
        return records.stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
    }

    /** Sends {@code n} records "v0".. to partition 0 of "t"; returns their futures. */
    private static List<CompletableFuture<RecordMetadata>> send(StrataProducer<String, String> producer, int n) {
        List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            futures.add(producer.send(new ProducerRecord<>("t", 0, null, "v" + i)));
        }
        return futures;
    }

    /**
     * Sends "w" to partition 0 of "t" and waits for it: an idempotent partition pipelines only
     * once the leader acknowledged a request (so "w" is the partition's first request).
     */
    private static void warmUp(StrataProducer<String, String> producer) {
        assertThat(producer.send(new ProducerRecord<>("t", 0, null, "w")).join().offset()).isZero();
    }

    /** "w", then "v0".."v{n-1}" but the missing ones. */
    private static List<String> expected(int n, int... missing) {
        List<String> out = new ArrayList<>();
        out.add("w");
        outer:
        for (int i = 0; i < n; i++) {
            for (int m : missing) {
                if (m == i) {
                    continue outer;
                }
            }
            out.add("v" + i);
        }
        return out;
    }

    /** Producer id and sequences of every stored batch, e.g. "1001:0". */
    private List<String> stamps() {
        return leader.batches(TP).stream().map(b -> RecordBatch.producerId(b, 0) + ":" + RecordBatch.baseSequence(b, 0))
                .toList();
    }

    @Test
    void fiveRequestsOfAPartitionAreInFlightAtOnceOnOneStreamAndLandInOrder() throws Exception {
        try (var producer = producer(Map.of())) {
            warmUp(producer);
            leader.holdAnswers();
            List<CompletableFuture<RecordMetadata>> futures = send(producer, 40);
            leader.awaitRequests(TP, 1 + 5);
            Thread.sleep(200); // a sixth would come now if the producer sent it
            assertThat(leader.requests(TP)).isEqualTo(1 + 5);
            assertThat(futures).noneMatch(CompletableFuture::isDone);
            leader.releaseAnswers();
            producer.flush();
            for (int i = 0; i < futures.size(); i++) {
                assertThat(futures.get(i).join().offset()).isEqualTo(1 + i);
            }
        }
        assertThat(values(leader.records(TP))).containsExactlyElementsOf(expected(40));
        assertThat(leader.maxInFlight(TP)).isEqualTo(5);
        assertThat(leader.streamsOpened()).isEqualTo(1);
    }

    /**
     * A leader takes the first batch of a producer it does not know at any sequence, so the
     * partition's first request goes alone: had a second one been in flight behind a first that
     * failed (here NOT_LEADER; a just-created partition answers UNKNOWN_TOPIC_OR_PARTITION), it
     * would have been written ahead of it.
     */
    @Test
    void anIdempotentPartitionSendsOneRequestAtATimeUntilTheLeaderAcknowledgedOne() throws Exception {
        leader.failRequest(TP, 1, ErrorCode.NOT_LEADER);
        leader.holdAnswers();
        try (var producer = producer(Map.of())) {
            List<CompletableFuture<RecordMetadata>> futures = send(producer, 20);
            leader.awaitRequests(TP, 1);
            Thread.sleep(200);
            assertThat(leader.requests(TP)).isEqualTo(1);
            leader.releaseAnswers();
            producer.flush();
            for (int i = 0; i < futures.size(); i++) {
                assertThat(futures.get(i).join().offset()).as("record %d", i).isEqualTo(i);
            }
        }
        assertThat(values(leader.records(TP))).containsExactlyElementsOf(expected(20).subList(1, 21));
    }

    @Test
    void maxInFlightRequestsBoundsThePipelinePerPartition() throws Exception {
        try (var producer = producer(Map.of("max.in.flight.requests.per.connection", 2))) {
            warmUp(producer);
            producer.send(new ProducerRecord<>("two", 1, null, "w")).join();
            leader.holdAnswers();
            List<CompletableFuture<RecordMetadata>> a = send(producer, 10);
            List<CompletableFuture<RecordMetadata>> b = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                b.add(producer.send(new ProducerRecord<>("two", 1, null, "w" + i)));
            }
            leader.awaitRequests(TP, 1 + 2);
            leader.awaitRequests(new TopicPartition("two", 1), 1 + 2);
            Thread.sleep(200);
            assertThat(leader.requests(TP)).isEqualTo(1 + 2);
            leader.releaseAnswers();
            producer.flush();
            a.forEach(CompletableFuture::join);
            b.forEach(CompletableFuture::join);
        }
        assertThat(leader.maxInFlight(TP)).isEqualTo(2);
        assertThat(leader.maxInFlight(new TopicPartition("two", 1))).isEqualTo(2);
    }

    /**
     * Kafka's rule: the 2nd of 5 requests in flight fails with a retriable error, so the leader
     * refuses the 3rd to 5th as out of order; all four are resent in order.
     */
    @Test
    void aRetriableErrorOfTheSecondOfFiveInFlightRequestsIsRetriedInOrderWithTheThreeBehindIt() throws Exception {
        leader.failRequest(TP, 1 + 2, ErrorCode.NOT_LEADER);
        try (var producer = producer(Map.of())) {
            warmUp(producer);
            leader.holdAnswers();
            List<CompletableFuture<RecordMetadata>> futures = send(producer, 30);
            leader.awaitRequests(TP, 1 + 5);
            leader.releaseAnswers();
            producer.flush();
            for (int i = 0; i < futures.size(); i++) {
                assertThat(futures.get(i).join().offset()).as("record %d", i).isEqualTo(1 + i);
            }
        }
        assertThat(values(leader.records(TP))).containsExactlyElementsOf(expected(30));
        List<String> stamps = stamps();
        for (int i = 0; i < stamps.size(); i++) {
            assertThat(stamps.get(i)).isEqualTo("1001:" + i);
        }
        assertThat(leader.initProducerIdCalls()).isEqualTo(1);
        assertThat(leader.requests(TP)).as("31 requests, at least 4 of them twice").isGreaterThanOrEqualTo(1 + 34);
    }

    /**
     * The 2nd of 5 requests in flight is refused for good: its record fails, the 3rd to 5th come
     * back out of order (never written) and go out again under a new producer id, in order, so no
     * sequence is skipped silently and nothing is reordered or lost.
     */
    @Test
    void aNonRetriableErrorOfTheSecondOfFiveFailsOnlyItsRecordAndTheOthersGoOnUnderANewIdInOrder() throws Exception {
        leader.failRequest(TP, 1 + 2, ErrorCode.INVALID_BATCH);
        List<CompletableFuture<RecordMetadata>> futures;
        try (var producer = producer(Map.of())) {
            warmUp(producer);
            leader.holdAnswers();
            futures = send(producer, 30);
            leader.awaitRequests(TP, 1 + 5);
            leader.releaseAnswers();
            producer.flush();
            assertThatThrownBy(() -> futures.get(1).join()).isInstanceOf(CompletionException.class)
                    .cause().isInstanceOfSatisfying(StrataException.class,
                            e -> assertThat(e.reason()).isEqualTo(ErrorCode.INVALID_BATCH));
            for (int i = 0; i < futures.size(); i++) {
                if (i != 1) {
                    assertThat(futures.get(i).join().offset()).as("record %d", i).isEqualTo(i == 0 ? 1 : i);
                }
            }
        }
        assertThat(values(leader.records(TP))).containsExactlyElementsOf(expected(30, 1));
        List<String> stamps = stamps();
        assertThat(stamps.subList(0, 2)).containsExactly("1001:0", "1001:1");
        for (int i = 2; i < stamps.size(); i++) {
            assertThat(stamps.get(i)).as("batch %d", i).isEqualTo("1002:" + (i - 2));
        }
        assertThat(leader.initProducerIdCalls()).isEqualTo(2);
    }

    @Test
    void aBrokenStreamFailsItsRequestsAsRetriableAndTheyAreResentInOrderWithoutDuplicates() throws Exception {
        leader.breakStreamAt(TP, 1 + 3); // requests 2-4 are written, their answers lost with the stream
        try (var producer = producer(Map.of())) {
            warmUp(producer);
            leader.holdAnswers();
            List<CompletableFuture<RecordMetadata>> futures = send(producer, 30);
            leader.awaitRequests(TP, 1 + 3);
            leader.releaseAnswers();
            producer.flush();
            for (int i = 0; i < futures.size(); i++) {
                assertThat(futures.get(i).join().offset()).as("record %d", i).isEqualTo(1 + i);
            }
        }
        assertThat(values(leader.records(TP))).containsExactlyElementsOf(expected(30));
        assertThat(leader.streamsOpened()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void aRequestLeftUnansweredTimesOutAfterRequestTimeoutMsAndItsResendGetsTheOriginalOffset() {
        leader.neverAnswer(TP, 1);
        long began = System.nanoTime();
        try (var producer = producer(Map.of("request.timeout.ms", 500))) {
            List<CompletableFuture<RecordMetadata>> futures = send(producer, 10);
            producer.flush();
            for (int i = 0; i < futures.size(); i++) {
                assertThat(futures.get(i).join().offset()).as("record %d", i).isEqualTo(i);
            }
        }
        assertThat(System.nanoTime() - began).isGreaterThanOrEqualTo(500_000_000L);
        assertThat(values(leader.records(TP))).containsExactlyElementsOf(expected(10).subList(1, 11));
    }

    /** Kafka's documented behaviour without idempotence: with several requests in flight a retried one lands after later ones. */
    @Test
    void withoutIdempotenceARetriedRequestMayLandAfterLaterOnesButNothingIsLost() throws Exception {
        leader.failRequest(TP, 2, ErrorCode.NOT_LEADER);
        leader.holdAnswers();
        try (var producer = producer(Map.of("enable.idempotence", false, "acks", "1"))) {
            List<CompletableFuture<RecordMetadata>> futures = send(producer, 5);
            leader.awaitRequests(TP, 5);
            leader.releaseAnswers();
            producer.flush();
            futures.forEach(CompletableFuture::join);
        }
        assertThat(values(leader.records(TP))).containsExactly("v0", "v2", "v3", "v4", "v1");
        assertThat(RecordBatch.producerId(leader.batches(TP).getFirst(), 0)).isEqualTo(RecordBatch.NO_PRODUCER_ID);
    }

    @Test
    void manyRecordsOnSeveralPartitionsLandExactlyOnceInOrderDespiteScatteredFailures() throws Exception {
        TopicPartition p0 = new TopicPartition("two", 0);
        TopicPartition p1 = new TopicPartition("two", 1);
        for (int n : new int[] {3, 17, 18, 40}) {
            leader.failRequest(p0, n, ErrorCode.NOT_ENOUGH_REPLICAS);
        }
        leader.failRequest(p1, 5, ErrorCode.REQUEST_TIMED_OUT);
        leader.breakStreamAt(p1, 30);
        Map<Integer, List<String>> sent = new HashMap<>();
        List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
        try (var producer = producer(Map.of("batch.size", 300, "max.request.size", 700))) {
            for (int i = 0; i < 400; i++) {
                for (int p = 0; p < 2; p++) {
                    String v = "p" + p + "-" + i;
                    sent.computeIfAbsent(p, x -> new ArrayList<>()).add(v);
                    futures.add(producer.send(new ProducerRecord<>("two", p, null, v)));
                }
            }
            producer.flush();
            futures.forEach(CompletableFuture::join);
        }
        assertThat(values(leader.records(p0))).containsExactlyElementsOf(sent.get(0));
        assertThat(values(leader.records(p1))).containsExactlyElementsOf(sent.get(1));
        assertThat(leader.maxInFlight(p0)).isLessThanOrEqualTo(5);
    }

    @Test
    void sequencesOfABatchesInFlightStayWithinTheLeadersDuplicateWindow() throws Exception {
        try (var producer = producer(Map.of("batch.size", 100, "max.request.size", 100_000))) {
            warmUp(producer);
            leader.holdAnswers();
            List<CompletableFuture<RecordMetadata>> futures = send(producer, 300);
            leader.awaitRequests(TP, 2);
            Thread.sleep(300);
            int batches = leader.batches(TP).size() - 1;
            assertThat(batches).as("batches in flight").isLessThanOrEqualTo(Sender.MAX_IDEMPOTENT_BATCHES_IN_FLIGHT);
            leader.releaseAnswers();
            producer.flush();
            futures.forEach(CompletableFuture::join);
        }
        assertThat(values(leader.records(TP))).containsExactlyElementsOf(expected(300));
        int expected = 0;
        for (ByteBuffer b : leader.batches(TP)) {
            assertThat(RecordBatch.baseSequence(b, 0)).isEqualTo(expected);
            expected = RecordBatch.incrementSequence(RecordBatch.lastSequence(b, 0), 1);
        }
    }
}
