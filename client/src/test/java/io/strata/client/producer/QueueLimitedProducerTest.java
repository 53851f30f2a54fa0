package io.strata.client.producer;

import io.strata.client.TopicPartition;
import io.strata.client.serialization.StringSerializer;
import io.strata.client.testing.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The producer's queue limit ({@code queue.max.delay.ms}) with a real gRPC leader and a clock
 * the test moves: answers set it, and a partition whose request goes unanswered for
 * {@link Sender#STALLED_AFTER_MS} suspends it while the other partitions' answers still flow, so
 * the batches piling up for the stuck partition cannot block sends to the others.
 */
@Timeout(60)
class QueueLimitedProducerTest {

    private static final long MIB = 1 << 20;
    private static final TopicPartition STUCK = new TopicPartition("t", 0);

    private final StreamingLeader leader;
    private final MutableClock clock = new MutableClock(1_000_000);

    QueueLimitedProducerTest() throws Exception {
        leader = new StreamingLeader().topic("t", 2);
    }

    @AfterEach
    void stop() throws Exception {
        leader.close();
    }

    private StrataProducer<String, String> producer(Map<String, Object> overrides) {
        Map<String, Object> config = new java.util.HashMap<>(Map.of("bootstrap.servers", leader.bootstrap(),
                "linger.ms", 0, "batch.size", 16_384, "buffer.memory", 8 * MIB,
                "request.timeout.ms", 120_000, "delivery.timeout.ms", 300_000));
        config.putAll(overrides);
        return new StrataProducer<>(new ProducerConfig(config), new StringSerializer(), new StringSerializer(), clock);
    }

    /** Sends a record to partition 1, whose leader answers, waits for its answer, then moves the clock. */
    private static void sendLiveAndAdvance(StrataProducer<String, String> producer, MutableClock clock, long ms)
            throws Exception {
        producer.send(new ProducerRecord<>("t", 1, null, "live")).get(10, TimeUnit.SECONDS);
        clock.advance(ms);
    }

    @Test
    void answersSetTheLimitAndAPartitionThatStopsMovingSuspendsItWhileOthersAnswer() throws Exception {
        leader.neverAnswer(STUCK, 1);
        StrataProducer<String, String> producer = producer(Map.of());
        try {
            QueueDelayLimiter limiter = producer.queueDelayLimiter();
            assertThat(limiter.limit()).isEqualTo(8 * MIB); // nothing measured yet
            for (int i = 0; i < 40; i++) { // 400 ms of a trickle: the least limit
                sendLiveAndAdvance(producer, clock, 10);
            }
            assertThat(limiter.limit()).isEqualTo(limiter.floorBytes()).isEqualTo(MIB);

            CompletableFuture<RecordMetadata> stuck = producer.send(new ProducerRecord<>("t", 0, null, "stuck"));
            leader.awaitRequests(STUCK, 1);
            for (int i = 0; i < 9; i++) { // 900 ms with the other partition answering: still limited
                sendLiveAndAdvance(producer, clock, 100);
            }
            assertThat(limiter.limit()).isEqualTo(MIB);
            for (int i = 0; i < 5; i++) { // the request has been out a second: the whole buffer
                sendLiveAndAdvance(producer, clock, 100);
            }
            assertThat(limiter.limit()).isEqualTo(8 * MIB);
            assertThat(stuck).isNotDone();
        } finally {
            producer.close(Duration.ZERO);
        }
    }

    @Test
    void zeroTurnsTheLimitOff() {
        try (var producer = producer(Map.of(ProducerConfig.QUEUE_MAX_DELAY_MS, 0))) {
            assertThat(producer.queueDelayLimiter()).isNull();
        }
    }
}
