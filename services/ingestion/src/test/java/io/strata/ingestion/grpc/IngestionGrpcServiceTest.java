package io.strata.ingestion.grpc;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.strata.ingestion.IngestionNode;
import io.strata.ingestion.config.IngestionConfig;
import io.strata.ingestion.quota.PublishQuotas;
import io.strata.ingestion.spool.Spool;
import io.strata.proto.StrataError;
import io.strata.proto.v1.ClientQuota;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.PublishAck;
import io.strata.proto.v1.PublishRecord;
import io.strata.proto.v1.PublishRequest;
import io.strata.proto.v1.PublishResponse;
import io.strata.proto.v1.QuotaSnapshot;
import io.strata.runtime.GrpcServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The service's own answers, without a server: a call held by the quota is answered on every path. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class IngestionGrpcServiceTest {

    private final IngestionConfig config = config(Map.of("strata.ingestion.instance.id", "ingestion-grpc-test"));
    private final GrpcServer server = new GrpcServer(null, null); // never started: held calls run on the timer thread
    private final PublishQuotas quotas = new PublishQuotas(config, server);

    private static IngestionConfig config(Map<String, String> values) {
        Properties p = new Properties();
        p.putAll(values);
        return new IngestionConfig(new SmallRyeConfigBuilder().withSources(new PropertiesConfigSource(p, "test", 100)).build());
    }

    @AfterEach
    void stop() {
        quotas.stop();
    }

    /** Completes with the call's error, or fails when it is answered OK. */
    private static final class Answer implements StreamObserver<PublishResponse> {
        final CompletableFuture<Throwable> error = new CompletableFuture<>();

        @Override
        public void onNext(PublishResponse value) {
            error.completeExceptionally(new AssertionError("answered OK: " + value));
        }

        @Override
        public void onError(Throwable t) {
            error.complete(t);
        }

        @Override
        public void onCompleted() {
        }
    }

    @Test
    void anUnexpectedFailureOfAHeldPublishIsAnsweredInternalNamingTheInstance() throws Exception {
        IngestionNode broken = new IngestionNode(config, server) {
            @Override
            public Spool spool() {
                throw new IllegalStateException("a bug");
            }
        };
        IngestionGrpcService service = new IngestionGrpcService(broken, config, quotas);
        quotas.quotas().apply(QuotaSnapshot.newBuilder()
                .addQuotas(ClientQuota.newBuilder().setDefaultEntity(true).setProducerByteRate(1_000)).build());
        quotas.quotas().producer().record("thin", 1_100); // 100 ms owed: the next call is held
        PublishRequest request = PublishRequest.newBuilder().setClientId("thin").setAck(PublishAck.PUBLISH_ACK_SPOOLED)
                .addRecords(PublishRecord.newBuilder().setTopic("events").setValue(ByteString.copyFromUtf8("v"))).build();
        Answer answer = new Answer();

        service.publish(request, answer);

        Throwable error = answer.error.get(10, TimeUnit.SECONDS);
        assertThat(Status.fromThrowable(error).getCode()).isEqualTo(Status.Code.INTERNAL);
        assertThat(StrataError.reasonOf(error)).contains(ErrorCode.INTERNAL_ERROR);
        assertThat(error.getMessage()).contains("ingestion-grpc-test", "a bug");
    }

    @Test
    void stoppingAnswersAPublishHeldByTheQuotaUnavailableInsteadOfLeavingItOpen() throws Exception {
        IngestionGrpcService service = new IngestionGrpcService(new IngestionNode(config, server), config, quotas);
        quotas.quotas().apply(QuotaSnapshot.newBuilder()
                .addQuotas(ClientQuota.newBuilder().setDefaultEntity(true).setProducerByteRate(1_000)).build());
        quotas.quotas().producer().record("thin", 100_000); // held for the longest time, 10 s
        Answer answer = new Answer();
        service.publish(PublishRequest.newBuilder().setClientId("thin").addRecords(PublishRecord.newBuilder()
                .setTopic("events").setValue(ByteString.copyFromUtf8("v"))).build(), answer);
        assertThat(answer.error).isNotDone();

        quotas.stop();

        Throwable error = answer.error.get(5, TimeUnit.SECONDS);
        assertThat(Status.fromThrowable(error).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(error.getMessage()).contains("shutting down");
    }
}
