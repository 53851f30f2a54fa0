package io.strata.standalone;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.quarkus.test.junit.QuarkusTest;
import io.strata.client.CommonClientConfigs;
import io.strata.client.TopicPartition;
import io.strata.client.admin.ClientQuota;
import io.strata.client.admin.NewTopic;
import io.strata.client.admin.StrataAdmin;
import io.strata.client.consumer.ConsumerConfig;
import io.strata.client.consumer.ConsumerRecord;
import io.strata.client.consumer.StrataConsumer;
import io.strata.client.ingestion.IngestionPublisher;
import io.strata.client.producer.ProducerConfig;
import io.strata.client.producer.ProducerRecord;
import io.strata.client.producer.StrataProducer;
import io.strata.client.serialization.ByteArrayDeserializer;
import io.strata.client.serialization.ByteArraySerializer;
import io.strata.ingestion.IngestionNode;
import io.strata.ingestion.quota.PublishQuotas;
import io.strata.proto.v1.Acks;
import io.strata.proto.v1.FetchRequest;
import io.strata.proto.v1.FetchResponse;
import io.strata.proto.v1.IngestionGrpc;
import io.strata.proto.v1.ListOffsetsRequest;
import io.strata.proto.v1.OffsetSpec;
import io.strata.proto.v1.ProduceRequest;
import io.strata.proto.v1.ProduceResponse;
import io.strata.proto.v1.PublishRecord;
import io.strata.proto.v1.PublishRequest;
import io.strata.proto.v1.PublishResponse;
import io.strata.proto.v1.StorageGrpc;
import io.strata.records.Compression;
import io.strata.records.RecordBatchBuilder;
import io.strata.runtime.GrpcServer;
import io.strata.runtime.quota.QuotaType;
import io.strata.storage.StorageNode;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

/**
 * Client-id quotas end to end in standalone (real gRPC, the real Java clients): a quota set
 * through the admin client reaches the storage node and the ingestion instance within a second;
 * a producer, a consumer and a thin publisher over their quota converge to it (within 10%,
 * measured after the first seconds, which the one-second burst allowance distorts); a client
 * under its quota is never throttled; a client that ignores the throttle time is held by the
 * server instead of failed.
 */
@QuarkusTest
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class QuotaServiceTest {

    private static final int VALUE_BYTES = 1000;

    @Inject
    GrpcServer grpcServer;
    @Inject
    StorageNode storageNode;
    @Inject
    IngestionNode ingestionNode;
    @Inject
    PublishQuotas publishQuotas;

    private ManagedChannel channel;
    private StrataAdmin admin;
    private String bootstrap;

    @BeforeEach
    void connect() {
        bootstrap = "127.0.0.1:" + grpcServer.port();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", grpcServer.port()).usePlaintext().build();
        admin = StrataAdmin.forBootstrap(bootstrap);
        await().atMost(Duration.ofSeconds(30)).until(() -> storageNode.isReady() && ingestionNode.isReady());
    }

    @AfterEach
    void disconnect() {
        admin.close();
        channel.shutdownNow();
    }

    /** A new topic whose partitions the storage node serves already. */
    private String topic(String prefix, int partitions) {
        String name = prefix + "-" + UUID.randomUUID();
        admin.createTopic(new NewTopic(name, OptionalInt.of(partitions), OptionalInt.empty(), Map.of()));
        StorageGrpc.StorageBlockingStub storage = StorageGrpc.newBlockingStub(channel);
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
            for (int p = 0; p < partitions; p++) {
                storage.listOffsets(ListOffsetsRequest.newBuilder().setTopic(name).setPartition(p).setSpec(OffsetSpec.LATEST).build());
            }
            return true;
        });
        return name;
    }

    /** Sets a quota and waits until both the storage node and the ingestion instance enforce it; returns how long that took. */
    private Duration setQuota(String clientId, long producerRate, long consumerRate) {
        long start = System.nanoTime();
        ClientQuota set = admin.setQuota(clientId, producerRate > 0 ? OptionalLong.of(producerRate) : OptionalLong.empty(),
                consumerRate > 0 ? OptionalLong.of(consumerRate) : OptionalLong.empty());
        assertThat(set.clientId()).contains(clientId);
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10)).until(() ->
                storageNode.quotas().current().rate(QuotaType.PRODUCER, clientId) == producerRate
                        && storageNode.quotas().current().rate(QuotaType.CONSUMER, clientId) == consumerRate
                        && publishQuotas.quotas().current().rate(QuotaType.PRODUCER, clientId) == producerRate);
        return Duration.ofNanos(System.nanoTime() - start);
    }

    private static byte[] value() {
        byte[] v = new byte[VALUE_BYTES];
        ThreadLocalRandom.current().nextBytes(v);
        return v;
    }

    /** Bytes acknowledged over time, for a rate over a window. */
    private static final class Meter {
        private final long startNanos = System.nanoTime();
        private final List<long[]> points = new ArrayList<>(); // {nanos since start, cumulative bytes}
        private long total;

        synchronized void add(long bytes) {
            total += bytes;
            points.add(new long[] {System.nanoTime() - startNanos, total});
        }

        double secondsSinceStart() {
            return (System.nanoTime() - startNanos) / 1e9;
        }

        /** Bytes per second between {@code fromSeconds} and the last point. */
        synchronized double rateFrom(double fromSeconds) {
            long[] first = points.stream().filter(p -> p[0] >= fromSeconds * 1e9).findFirst().orElseThrow();
            long[] last = points.get(points.size() - 1);
            return (last[1] - first[1]) / ((last[0] - first[0]) / 1e9);
        }

        synchronized long total() {
            return total;
        }
    }

    @Test
    void aProducerOverItsQuotaConvergesToItAndNeverGetsMoreThanOneSecondOfBurst() throws Exception {
        String clientId = "quota-producer-" + UUID.randomUUID();
        long rate = 512 * 1024;
        Duration applied = setQuota(clientId, rate, 0);
        assertThat(applied).isLessThan(Duration.ofMillis(1500));
        String topic = topic("quota-produce", 2);

        Meter acked = new Meter();
        try (StrataProducer<byte[], byte[]> producer = new StrataProducer<>(Map.of(
                CommonClientConfigs.BOOTSTRAP_SERVERS, bootstrap, CommonClientConfigs.CLIENT_ID, clientId,
                ProducerConfig.COMPRESSION_TYPE, "none", ProducerConfig.BATCH_SIZE, 16 * 1024, ProducerConfig.LINGER_MS, 5,
                ProducerConfig.BUFFER_MEMORY, 1024 * 1024, ProducerConfig.ACKS, "1"),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            // As fast as the producer is let, long enough that one throttle cycle more or less in the
            // measured window (one second of burst at most) moves the rate by a few percent only.
            while (acked.secondsSinceStart() < 13) {
                producer.send(new ProducerRecord<>(topic, null, value())).thenRun(() -> acked.add(VALUE_BYTES));
            }
        }
        double steady = acked.rateFrom(3);
        double seconds = acked.secondsSinceStart();
        System.out.printf("producer quota %d B/s: steady %.0f B/s, %d bytes in %.1f s%n", rate, steady, acked.total(), seconds);
        assertThat(steady).isCloseTo(rate, within(rate * 0.10));
        assertThat((double) acked.total()).isLessThan(rate * (seconds + 1) * 1.10);
    }

    @Test
    void aClientUnderItsQuotaIsNeverThrottled() throws Exception {
        String clientId = "quota-under-" + UUID.randomUUID();
        setQuota(clientId, 1024 * 1024, 0);
        String topic = topic("quota-under", 1);
        StorageGrpc.StorageBlockingStub storage = StorageGrpc.newBlockingStub(channel);
        for (int i = 0; i < 30; i++) { // 512 KB/s for 3 s, against 1 MiB/s
            RecordBatchBuilder batch = new RecordBatchBuilder(Compression.NONE, 64 * 1024);
            for (int r = 0; r < 50; r++) {
                batch.append(System.currentTimeMillis(), null, value(), List.of());
            }
            ProduceResponse answer = storage.produce(ProduceRequest.newBuilder().setTopic(topic).setPartition(0)
                    .setAcks(Acks.ACKS_LEADER).setClientId(clientId).setBatches(ByteString.copyFrom(batch.build())).build());
            assertThat(answer.getThrottleTimeMs()).isZero();
            Thread.sleep(100);
        }
    }

    @Test
    void aConsumerOverItsQuotaConvergesToIt() throws Exception {
        String topic = topic("quota-consume", 1);
        produceUnlimited(topic, 12_000); // 12 MB: more than 8 s at the quota
        String clientId = "quota-consumer-" + UUID.randomUUID();
        long rate = 1024 * 1024;
        setQuota(clientId, 0, rate);

        Meter consumed = new Meter();
        try (StrataConsumer<byte[], byte[]> consumer = new StrataConsumer<>(Map.of(
                CommonClientConfigs.BOOTSTRAP_SERVERS, bootstrap, CommonClientConfigs.CLIENT_ID, clientId,
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES, 128 * 1024, ConsumerConfig.AUTO_OFFSET_RESET, "earliest"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(List.of(new TopicPartition(topic, 0)));
            while (consumed.secondsSinceStart() < 8) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    consumed.add(r.value().length);
                }
            }
        }
        double steady = consumed.rateFrom(2.5);
        System.out.printf("consumer quota %d B/s: steady %.0f B/s, %d bytes in %.1f s%n", rate, steady, consumed.total(),
                consumed.secondsSinceStart());
        assertThat(steady).isCloseTo(rate, within(rate * 0.10));
        assertThat((double) consumed.total()).isLessThan(rate * (consumed.secondsSinceStart() + 1) * 1.10);
    }

    @Test
    void aFetchOverQuotaCarriesTheThrottleTimeAndTheNextFetchesAreHeldNotFailed() throws Exception {
        String topic = topic("quota-hold", 1);
        produceUnlimited(topic, 1_500);
        String clientId = "quota-ignores-throttle-" + UUID.randomUUID();
        long rate = 500_000;
        setQuota(clientId, 0, rate);
        StorageGrpc.StorageBlockingStub storage = StorageGrpc.newBlockingStub(channel);
        FetchRequest fetch = FetchRequest.newBuilder().setTopic(topic).setPartition(0).setOffset(0).setMaxBytes(1_000_000)
                .setClientId(clientId).build();

        FetchResponse first = storage.fetch(fetch);
        long owed = first.getBatches().size() - rate; // the bucket started with one second of the rate
        assertThat(first.getThrottleTimeMs()).isCloseTo((int) (owed * 1000 / rate), within(50));

        long start = System.nanoTime();
        // A client that does not wait is held, then served: here a long poll (it waits for more
        // bytes than there are, then answers with what there is).
        FetchResponse second = storage.fetch(fetch.toBuilder().setOffset(first.getNextOffset())
                .setMinBytes(10_000_000).setMaxWaitMs(200).build());
        long heldMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(second.getBatches().size()).isPositive();
        assertThat(heldMs).isGreaterThanOrEqualTo(first.getThrottleTimeMs() - 100L + 200);
        assertThat(second.getThrottleTimeMs()).isPositive();

        start = System.nanoTime(); // and a fetch stream is held before its first message
        var stream = StorageGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                .fetchStream(fetch.toBuilder().setMaxBytes(64 * 1024).build());
        assertThat(stream.next().getBatches().size()).isPositive();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(second.getThrottleTimeMs() - 100L);
    }

    @Test
    void aFetchStreamOverItsQuotaPausesBetweenMessages() throws Exception {
        String topic = topic("quota-stream", 1);
        produceUnlimited(topic, 2_000); // 2 MB
        String clientId = "quota-fetch-stream-" + UUID.randomUUID();
        long rate = 256 * 1024;
        setQuota(clientId, 0, rate);

        long bytes = 0;
        long start = System.nanoTime();
        var stream = StorageGrpc.newBlockingStub(channel).withDeadlineAfter(3, TimeUnit.SECONDS).fetchStream(
                FetchRequest.newBuilder().setTopic(topic).setPartition(0).setOffset(0).setMaxBytes(32 * 1024)
                        .setClientId(clientId).build());
        try {
            while (stream.hasNext()) {
                bytes += stream.next().getBatches().size();
            }
        } catch (StatusRuntimeException deadline) {
            assertThat(deadline.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        // One second of burst, then the rate; the 2 MB in the log would take far less unthrottled.
        assertThat((double) bytes).isCloseTo(rate * (seconds + 1), within(rate * 0.5));
    }

    @Test
    void aPublishStreamOverItsQuotaIsReadNoFasterThanTheQuota() throws Exception {
        String clientId = "quota-publish-stream-" + UUID.randomUUID();
        long rate = 250_000;
        setQuota(clientId, rate, 0);
        String topic = topic("q-ing-stream", 1);
        PublishRequest.Builder request = PublishRequest.newBuilder().setAcks(Acks.ACKS_LEADER).setClientId(clientId);
        for (int i = 0; i < 50; i++) {
            request.addRecords(PublishRecord.newBuilder().setTopic(topic).setValue(ByteString.copyFrom(value())));
        }
        PublishRequest message = request.build(); // ~50 KB: 10 of them are 2 s of the rate

        CompletableFuture<PublishResponse> answer = new CompletableFuture<>();
        long start = System.nanoTime();
        var requests = IngestionGrpc.newStub(channel).publishStream(new StreamObserver<>() {
            @Override
            public void onNext(PublishResponse value) {
                answer.complete(value);
            }

            @Override
            public void onError(Throwable t) {
                answer.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
            }
        });
        for (int i = 0; i < 10; i++) {
            requests.onNext(message);
        }
        requests.onCompleted();
        PublishResponse response = answer.get(30, TimeUnit.SECONDS);
        long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        assertThat(response.getResultsList()).hasSize(500).allSatisfy(r -> assertThat(r.getOffset()).isNotNegative());
        // The bucket's second of burst covers 5 messages; each later one is read a throttle time after the one before.
        long expectedMs = (message.getSerializedSize() * 10L - rate) * 1000 / rate - message.getSerializedSize() * 1000L / rate;
        assertThat(elapsedMs).isGreaterThanOrEqualTo(expectedMs - 100);
        assertThat(response.getThrottleTimeMs()).isPositive();
    }

    private void produceUnlimited(String topic, int records) throws Exception {
        try (StrataProducer<byte[], byte[]> producer = new StrataProducer<>(Map.of(
                CommonClientConfigs.BOOTSTRAP_SERVERS, bootstrap, ProducerConfig.COMPRESSION_TYPE, "none"),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            List<CompletableFuture<?>> sent = new ArrayList<>();
            for (int i = 0; i < records; i++) {
                sent.add(producer.send(new ProducerRecord<>(topic, null, value())));
            }
            CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void aThinPublisherOverItsQuotaConvergesToItAndIsToldItsThrottleTime() throws Exception {
        String clientId = "quota-thin-" + UUID.randomUUID();
        long rate = 256 * 1024;
        setQuota(clientId, rate, 0);
        String topic = topic("q-ing", 1);
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        PublishRequest.Builder same = PublishRequest.newBuilder().setAcks(Acks.ACKS_ALL).setClientId(clientId);
        for (int i = 0; i < 50; i++) {
            byte[] v = value();
            records.add(new ProducerRecord<>(topic, null, v));
            same.addRecords(PublishRecord.newBuilder().setTopic(topic).setValue(ByteString.copyFrom(v)));
        }
        long requestBytes = same.build().getSerializedSize(); // what the quota counts per request

        Meter published = new Meter();
        try (IngestionPublisher publisher = new IngestionPublisher(Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS, bootstrap,
                CommonClientConfigs.CLIENT_ID, clientId))) {
            while (published.secondsSinceStart() < 8) {
                assertThat(publisher.publish(records)).allSatisfy(o -> assertThat(o.error()).isNull());
                published.add(requestBytes);
            }
        }
        double steady = published.rateFrom(2.5);
        System.out.printf("publish quota %d B/s: steady %.0f B/s, %d bytes in %.1f s%n", rate, steady, published.total(),
                published.secondsSinceStart());
        assertThat(steady).isCloseTo(rate, within(rate * 0.10));

        PublishResponse raw = IngestionGrpc.newBlockingStub(channel).publish(same.build());
        PublishResponse again = IngestionGrpc.newBlockingStub(channel).publish(same.build());
        assertThat(raw.getThrottleTimeMs() + again.getThrottleTimeMs()).isPositive();
        assertThat(again.getResultsList()).hasSize(50);
    }
}
