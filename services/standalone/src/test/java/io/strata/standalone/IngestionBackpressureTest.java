package io.strata.standalone;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.strata.ingestion.IngestionNode;
import io.strata.proto.StrataError;
import io.strata.proto.v1.CoordinationGrpc;
import io.strata.proto.v1.CreateTopicRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.IngestionGrpc;
import io.strata.proto.v1.PublishRecord;
import io.strata.proto.v1.PublishRequest;
import io.strata.proto.v1.PublishResponse;
import io.strata.runtime.GrpcServer;
import io.strata.storage.StorageNode;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Ingestion's backpressure: with its buffer full, a request is refused at once with
 * RESOURCE_EXHAUSTED and a retry-after hint, nothing of it sent, instead of queueing without
 * bound; the admitted request still completes. A 1 MiB buffer and a 3 s linger keep the first
 * request's records in the buffer while the second arrives.
 */
@QuarkusTest
@TestProfile(IngestionBackpressureTest.SmallBuffer.class)
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class IngestionBackpressureTest {

    /**
     * A buffer that one batch (batch.size 1 MiB) takes but for 64 KiB (room for its records'
     * objects, not for another batch), held for a 3 s linger; a request waits 1 s for memory.
     */
    public static class SmallBuffer implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("strata.ingestion.buffer.memory", Integer.toString(1024 * 1024 + 64 * 1024),
                    "strata.ingestion.batch.size", "1048576",
                    "strata.ingestion.linger.ms", "3000",
                    "strata.ingestion.max.block.ms", "1000",
                    "strata.ingestion.compression.type", "none");
        }
    }

    @Inject
    GrpcServer grpcServer;
    @Inject
    StorageNode storageNode;
    @Inject
    IngestionNode ingestionNode;

    private static PublishRequest records(String topic, int partition, int count, int size) {
        PublishRequest.Builder r = PublishRequest.newBuilder();
        for (int i = 0; i < count; i++) {
            r.addRecords(PublishRecord.newBuilder().setTopic(topic).setPartition(partition)
                    .setValue(ByteString.copyFrom(new byte[size])));
        }
        return r.build();
    }

    @Test
    void aFullBufferRefusesTheNextRequestWholeWithRetryAdvice() throws Exception {
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", grpcServer.port()).usePlaintext().build();
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> storageNode.isReady() && ingestionNode.isReady());
            String topic = "pressure-" + java.util.UUID.randomUUID();
            CoordinationGrpc.newBlockingStub(channel).createTopic(CreateTopicRequest.newBuilder().setName(topic)
                    .setPartitions(2).build());
            IngestionGrpc.IngestionFutureStub async = IngestionGrpc.newFutureStub(channel);
            // Warm the topic's metadata so the first request does not wait for it.
            assertThat(IngestionGrpc.newBlockingStub(channel).publish(records(topic, 0, 1, 10)).getResults(0).getError())
                    .isEqualTo(ErrorCode.ERROR_CODE_UNSPECIFIED);

            // ~900 KB in one open batch of partition 0, which holds the whole 1 MiB buffer for its linger.
            var admitted = async.publish(records(topic, 0, 9, 100_000));
            await().atMost(Duration.ofSeconds(2)).until(() -> ingestionNode.publisher().pendingRecords() == 9);

            // Partition 1 needs a batch of its own: no memory for it within max.block.ms.
            assertThatThrownBy(() -> IngestionGrpc.newBlockingStub(channel).publish(records(topic, 1, 2, 200_000)))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                        assertThat(e.getTrailers().get(StrataError.REASON_KEY)).isEqualTo(ErrorCode.BUFFER_EXHAUSTED.name());
                        assertThat(e.getTrailers().get(StrataError.RETRY_AFTER_KEY)).isNotBlank();
                        assertThat(e.getStatus().getDescription()).contains("nothing of this request was sent");
                    });

            PublishResponse first = admitted.get(30, TimeUnit.SECONDS);
            assertThat(first.getResultsList()).hasSize(9)
                    .allSatisfy(r -> assertThat(r.getError()).isEqualTo(ErrorCode.ERROR_CODE_UNSPECIFIED));
            // The refused request left nothing behind: the admitted records follow the warm-up one directly.
            assertThat(first.getResults(0).getOffset()).isEqualTo(1);
            assertThat(first.getResults(8).getOffset()).isEqualTo(9);
        } finally {
            channel.shutdownNow();
        }
    }
}
