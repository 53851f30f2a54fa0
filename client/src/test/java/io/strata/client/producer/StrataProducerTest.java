package io.strata.client.producer;

import io.strata.client.StrataException;
import io.strata.client.TopicPartition;
import io.strata.proto.v1.ErrorCode;
import io.strata.records.Record;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(60)
class StrataProducerTest extends FakeStrataProducerTest {

    @Test
    void sendCompletesWithConsecutiveOffsetsInSendOrder() {
        try (var producer = producer(Map.of())) {
            List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                futures.add(producer.send(new ProducerRecord<>("t", "k" + i, "v" + i)));
            }
            producer.flush();
            for (int i = 0; i < 100; i++) {
                RecordMetadata md = futures.get(i).join();
                assertThat(md.topic()).isEqualTo("t");
                assertThat(md.partition()).isZero();
                assertThat(md.offset()).isEqualTo(i);
            }
        }
        List<Record> log = fake.records(new TopicPartition("t", 0));
        assertThat(values(log)).hasSize(100).startsWith("v0", "v1").endsWith("v99");
    }

    @Test
    void notLeaderIsRetriedAfterAMetadataRefreshAndSucceeds() {
        TopicPartition tp = new TopicPartition("t", 0);
        fake.failProduces(tp, ErrorCode.NOT_LEADER, ErrorCode.NOT_LEADER);
        int metadataBefore = fake.metadataCalls();
        try (var producer = producer(Map.of())) {
            RecordMetadata md = producer.send(new ProducerRecord<>("t", "a")).join();
            assertThat(md.offset()).isZero();
        }
        assertThat(fake.produceCalls()).isEqualTo(3);
        assertThat(fake.metadataCalls()).isGreaterThan(metadataBefore + 1);
        assertThat(values(fake.records(tp))).containsExactly("a");
    }

    @Test
    void unknownPartitionFromStorageIsRetriedLikeANewPartition() {
        TopicPartition tp = new TopicPartition("t", 0);
        fake.failProduces(tp, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        try (var producer = producer(Map.of())) {
            assertThat(producer.send(new ProducerRecord<>("t", "a")).join().offset()).isZero();
        }
    }

    @Test
    void retriesNeverReorderRecordsWithinAPartition() {
        TopicPartition tp = new TopicPartition("t", 0);
        fake.failProduces(tp, ErrorCode.NOT_LEADER, ErrorCode.NOT_ENOUGH_REPLICAS, ErrorCode.NOT_LEADER,
                ErrorCode.STORAGE_ERROR, ErrorCode.NOT_LEADER);
        List<String> sent = new ArrayList<>();
        try (var producer = producer(Map.of("batch.size", 200, "linger.ms", 0))) {
            List<CompletableFuture<RecordMetadata>> futures = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                sent.add("v" + i);
                futures.add(producer.send(new ProducerRecord<>("t", "v" + i)));
            }
            producer.flush();
            for (int i = 0; i < futures.size(); i++) {
                assertThat(futures.get(i).join().offset()).isEqualTo(i);
            }
        }
        assertThat(values(fake.records(tp))).containsExactlyElementsOf(sent);
        assertThat(fake.maxConcurrentProduces(tp)).isEqualTo(1);
    }

    @Test
    void onePartitionInFlightDoesNotHoldBackAnother() throws Exception {
        TopicPartition held = new TopicPartition("two", 0);
        CountDownLatch release = fake.holdProduces(held);
        try (var producer = producer(Map.of())) {
            CompletableFuture<RecordMetadata> slow = producer.send(new ProducerRecord<>("two", 0, null, "slow"));
            CompletableFuture<RecordMetadata> fast = producer.send(new ProducerRecord<>("two", 1, null, "fast"));
            assertThat(fast.get(10, TimeUnit.SECONDS).partition()).isEqualTo(1);
            assertThat(slow).isNotDone();
            release.countDown();
            assertThat(slow.get(10, TimeUnit.SECONDS).offset()).isZero();
        }
    }

    /** Idempotent by default: the split batches get new sequences, the original's are abandoned. */
    @Test
    void recordTooLargeFailsOnlyThatRecordAndTheOthersLandInOrder() {
        fake.maxRecordValueBytes(100);
        TopicPartition tp = new TopicPartition("t", 0);
        try (var producer = producer(Map.of("linger.ms", 1000))) {
            CompletableFuture<RecordMetadata> before = producer.send(new ProducerRecord<>("t", "small-1"));
            CompletableFuture<RecordMetadata> big = producer.send(new ProducerRecord<>("t", "x".repeat(500)));
            CompletableFuture<RecordMetadata> after = producer.send(new ProducerRecord<>("t", "small-2"));
            producer.flush();
            assertThatThrownBy(big::join).isInstanceOf(CompletionException.class)
                    .cause().isInstanceOfSatisfying(StrataException.class, e -> {
                        assertThat(e.reason()).isEqualTo(ErrorCode.RECORD_TOO_LARGE);
                        assertThat(e.getMessage()).contains("max.message.bytes");
                    });
            assertThat(before.join().offset()).isZero();
            assertThat(after.join().offset()).isEqualTo(1);
        }
        assertThat(values(fake.records(tp))).containsExactly("small-1", "small-2");
    }

    @Test
    void nonRetriableFailureFailsTheBatchAndOtherPartitionsContinue() {
        fake.failProduces(new TopicPartition("two", 0), ErrorCode.INVALID_BATCH);
        try (var producer = producer(Map.of())) {
            CompletableFuture<RecordMetadata> bad = producer.send(new ProducerRecord<>("two", 0, null, "a"));
            CompletableFuture<RecordMetadata> good = producer.send(new ProducerRecord<>("two", 1, null, "b"));
            producer.flush();
            assertThat(good.join().offset()).isZero();
            assertThatThrownBy(bad::join).cause().isInstanceOfSatisfying(StrataException.class,
                    e -> assertThat(e.reason()).isEqualTo(ErrorCode.INVALID_BATCH));
        }
    }

    @Test
    void callbacksGetEachRecordsOffsetInSendOrder() throws Exception {
        List<Long> offsets = java.util.Collections.synchronizedList(new ArrayList<>());
        CountDownLatch done = new CountDownLatch(100);
        try (var producer = producer(Map.of("batch.size", 300))) {
            for (int i = 0; i < 100; i++) {
                producer.send(new ProducerRecord<>("t", "v" + i), (md, e) -> {
                    assertThat(e).isNull();
                    offsets.add(md.offset());
                    done.countDown();
                });
            }
            assertThat(done.await(20, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(offsets).containsExactlyElementsOf(java.util.stream.LongStream.range(0, 100).boxed().toList());
        assertThat(values(fake.records(new TopicPartition("t", 0)))).hasSize(100).startsWith("v0").endsWith("v99");
    }

    @Test
    void aCallbackGetsTheFailureOfABatchTheLeaderRefused() throws Exception {
        fake.failProduces(new TopicPartition("two", 0), ErrorCode.INVALID_BATCH);
        CompletableFuture<Exception> failure = new CompletableFuture<>();
        CompletableFuture<RecordMetadata> metadata = new CompletableFuture<>();
        try (var producer = producer(Map.of())) {
            producer.send(new ProducerRecord<>("two", 0, null, "a"), (md, e) -> {
                metadata.complete(md);
                failure.complete(e);
            });
            producer.flush();
        }
        assertThat(failure.get(20, TimeUnit.SECONDS)).isInstanceOfSatisfying(StrataException.class,
                e -> assertThat(e.reason()).isEqualTo(ErrorCode.INVALID_BATCH));
        assertThat(metadata.join()).isEqualTo(new RecordMetadata("two", 0, -1, -1));
    }

    @Test
    void aCallbackForAnUnknownTopicRunsBeforeSendReturns() {
        List<Exception> failures = new ArrayList<>();
        List<RecordMetadata> metadata = new ArrayList<>();
        try (var producer = producer(Map.of())) {
            producer.send(new ProducerRecord<>("nope", "a"), (md, e) -> {
                metadata.add(md);
                failures.add(e);
            });
            assertThat(failures).singleElement().isInstanceOfSatisfying(StrataException.class,
                    e -> assertThat(e.reason()).isEqualTo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
            assertThat(metadata).containsExactly(new RecordMetadata("nope", -1, -1, -1));
        }
        assertThat(fake.produceCalls()).isZero();
    }

    @Test
    void callbacksRunOnTheProducersNetworkThread() throws Exception {
        CompletableFuture<String> thread = new CompletableFuture<>();
        try (var producer = producer(Map.of("client.id", "app-1"))) {
            producer.send(new ProducerRecord<>("t", "a"), (md, e) -> thread.complete(Thread.currentThread().getName()));
            assertThat(thread.get(20, TimeUnit.SECONDS)).startsWith("strata-producer-network-app-1");
        }
    }

    @Test
    void flushFromACallbackIsRefusedInsteadOfDeadlocking() throws Exception {
        CompletableFuture<Throwable> refused = new CompletableFuture<>();
        try (var producer = producer(Map.of())) {
            producer.send(new ProducerRecord<>("t", "a"), (md, e) -> {
                try {
                    producer.flush();
                    refused.complete(null);
                } catch (RuntimeException flushFailure) {
                    refused.complete(flushFailure);
                }
            });
            assertThat(refused.get(20, TimeUnit.SECONDS)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("callback");
            assertThat(producer.send(new ProducerRecord<>("t", "b")).join().offset()).isEqualTo(1); // still working
        }
    }

    @Test
    void closeFromACallbackReturnsWithoutWaitingAndFailsWhatIsLeft() throws Exception {
        var producer = producer(Map.of("linger.ms", 60_000));
        CountDownLatch closed = new CountDownLatch(1);
        producer.send(new ProducerRecord<>("t", "first"), (md, e) -> {
            producer.close(); // an unbounded wait from anywhere else
            closed.countDown();
        });
        producer.flush();
        assertThat(closed.await(20, TimeUnit.SECONDS)).isTrue();
        assertThatThrownBy(() -> producer.send(new ProducerRecord<>("t", "late"))).isInstanceOf(IllegalStateException.class);
        assertThat(values(fake.records(new TopicPartition("t", 0)))).containsExactly("first");
    }

    @Test
    void aCallbackThatThrowsDoesNotStopTheProducer() {
        try (var producer = producer(Map.of("linger.ms", 0))) {
            CountDownLatch called = new CountDownLatch(1);
            producer.send(new ProducerRecord<>("t", "a"), (md, e) -> {
                called.countDown();
                throw new IllegalStateException("the application's bug");
            });
            assertThat(producer.send(new ProducerRecord<>("t", "b")).join().offset()).isEqualTo(1);
            assertThat(called.getCount()).isZero();
        }
    }

    @Test
    void unknownTopicFailsFastWithoutProducing() {
        try (var producer = producer(Map.of())) {
            CompletableFuture<RecordMetadata> f = producer.send(new ProducerRecord<>("nope", "a"));
            assertThatThrownBy(f::join).cause().isInstanceOfSatisfying(StrataException.class,
                    e -> assertThat(e.reason()).isEqualTo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
        }
        assertThat(fake.produceCalls()).isZero();
    }

    @Test
    void topicDeletedFromCoordinationFailsFastInsteadOfRetryingUntilTheDeliveryTimeout() {
        try (var producer = producer(Map.of())) {
            assertThat(producer.send(new ProducerRecord<>("t", "a")).join().offset()).isZero();
            fake.removeTopic("t");
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>("t", "b")).get(20, TimeUnit.SECONDS))
                    .cause().isInstanceOfSatisfying(StrataException.class,
                            e -> assertThat(e.reason()).isEqualTo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
        }
    }

    @Test
    void partitionOutOfRangeFailsFast() {
        try (var producer = producer(Map.of())) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>("t", 5, null, "a")).join())
                    .cause().isInstanceOfSatisfying(StrataException.class,
                            e -> assertThat(e.reason()).isEqualTo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
        }
    }

    @Test
    void acksZeroCompletesWithOffsetMinusOne() {
        try (var producer = producer(Map.of("acks", "0"))) {
            assertThat(producer.send(new ProducerRecord<>("t", "a")).join().offset()).isEqualTo(-1);
        }
    }

    @Test
    void retriesExhaustedFailWithTheLastReason() {
        fake.failProduces(new TopicPartition("t", 0), ErrorCode.NOT_LEADER, ErrorCode.NOT_LEADER);
        try (var producer = producer(Map.of("retries", 1))) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>("t", "a")).join())
                    .cause().isInstanceOfSatisfying(StrataException.class, e -> {
                        assertThat(e.reason()).isEqualTo(ErrorCode.NOT_LEADER);
                        assertThat(e.retriable()).isTrue();
                    });
        }
    }

    @Test
    void keyedRecordsGoToTheMurmur2Partition() {
        try (var producer = producer(Map.of())) {
            byte[] key = "user-7".getBytes(StandardCharsets.UTF_8);
            int expected = Murmur2.partitionForKey(key, 2);
            assertThat(producer.send(new ProducerRecord<>("two", "user-7", "v")).join().partition()).isEqualTo(expected);
        }
    }

    @Test
    void lz4BatchesArriveDecodable() {
        try (var producer = producer(Map.of("compression.type", "lz4"))) {
            for (int i = 0; i < 50; i++) {
                producer.send(new ProducerRecord<>("t", "value-" + i));
            }
            producer.flush();
        }
        assertThat(values(fake.records(new TopicPartition("t", 0)))).hasSize(50).startsWith("value-0");
    }

    @Test
    void sendFailsWithBufferExhaustedWhenMemoryStaysFullForMaxBlockMs() throws Exception {
        TopicPartition tp = new TopicPartition("t", 0);
        CountDownLatch release = fake.holdProduces(tp);
        try (var producer = producer(Map.of("buffer.memory", 1000, "max.block.ms", 100, "linger.ms", 0))) {
            CompletableFuture<RecordMetadata> first = producer.send(new ProducerRecord<>("t", "x".repeat(500)));
            fake.awaitProduceCalls(1); // its batch is sent (held): the next record needs a batch of its own
            CompletableFuture<RecordMetadata> second = producer.send(new ProducerRecord<>("t", "y".repeat(500)));
            assertThatThrownBy(second::join).cause().isInstanceOfSatisfying(StrataException.class, e -> {
                assertThat(e.reason()).isEqualTo(ErrorCode.BUFFER_EXHAUSTED);
                assertThat(e.getMessage()).contains("buffer.memory");
            });
            assertThat(first).isNotDone();
            release.countDown();
            assertThat(first.get(10, TimeUnit.SECONDS).offset()).isZero();
            assertThat(producer.send(new ProducerRecord<>("t", "z".repeat(500))).get(10, TimeUnit.SECONDS).offset())
                    .isEqualTo(1);
        }
    }

    @Test
    void aThrottledAnswerHoldsTheNextRequestToThatNodeForTheThrottleTime() throws Exception {
        fake.throttleProduceAnswers(300);
        try (var producer = producer(Map.of("linger.ms", 0))) {
            producer.send(new ProducerRecord<>("t", "first")).get(10, TimeUnit.SECONDS);
            long acked = System.nanoTime();
            producer.send(new ProducerRecord<>("t", "second")).get(10, TimeUnit.SECONDS);
            List<Long> calls = fake.produceCallNanos();
            assertThat(calls).hasSize(2);
            assertThat(TimeUnit.NANOSECONDS.toMillis(calls.get(1) - acked)).as("ms between the ack and the next request")
                    .isGreaterThanOrEqualTo(250);
        }
    }

    @Test
    void sendAfterCloseIsRefused() {
        var producer = producer(Map.of());
        producer.close();
        assertThatThrownBy(() -> producer.send(new ProducerRecord<>("t", "a")))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void unknownConfigKeysAreIgnored() {
        try (var producer = producer(Map.of("no.such.key", "x"))) {
            assertThat(producer.send(new ProducerRecord<>("t", "a")).join().offset()).isZero();
        }
    }

    @Test
    void invalidConfigValueIsRejectedNamingTheKey() {
        assertThatThrownBy(() -> producer(Map.of("acks", "2")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("acks");
        assertThatThrownBy(() -> producer(Map.of("compression.type", "gzip")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("compression.type");
    }
}
