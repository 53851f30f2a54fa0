package io.strata.coordination.grpc;

import io.strata.proto.v1.ClientQuota;
import io.strata.proto.v1.DeleteQuotaRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.ListQuotasRequest;
import io.strata.proto.v1.QuotaSnapshot;
import io.strata.proto.v1.SetQuotaRequest;
import io.strata.proto.v1.WatchQuotasRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static io.strata.coordination.grpc.CoordinationTestServer.assertStrataError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

/**
 * The quota RPCs over a real gRPC server, written once and run on each metadata store
 * ({@link QuotaRpcTest}: embedded, {@link EtcdQuotaRpcTest}: a real etcd): set, merge, list,
 * delete, the watch, and every refusal's status, reason and message.
 */
abstract class QuotaRpcContract {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private CoordinationTestServer coordination;

    /** A fresh coordination server on this contract's store. */
    abstract CoordinationTestServer startCoordination() throws Exception;

    @BeforeEach
    void start() throws Exception {
        coordination = startCoordination();
    }

    @AfterEach
    void stop() throws Exception {
        coordination.close();
    }

    private ClientQuota set(SetQuotaRequest.Builder request) {
        return coordination.blocking().setQuota(request.build());
    }

    private List<ClientQuota> list() {
        return coordination.blocking().listQuotas(ListQuotasRequest.getDefaultInstance()).getQuotasList();
    }

    private static SetQuotaRequest.Builder client(String id) {
        return SetQuotaRequest.newBuilder().setClientId(id);
    }

    @Test
    void aQuotaIsSetListedMergedAndDeleted() {
        ClientQuota set = set(client("billing").setProducerByteRate(1_048_576));

        assertThat(set).isEqualTo(ClientQuota.newBuilder().setClientId("billing").setProducerByteRate(1_048_576).build());
        assertThat(list()).containsExactly(set);

        ClientQuota merged = set(client("billing").setConsumerByteRate(2_000));
        assertThat(merged.getProducerByteRate()).isEqualTo(1_048_576); // kept: the request left it out
        assertThat(merged.getConsumerByteRate()).isEqualTo(2_000);
        assertThat(set(client("billing").setProducerByteRate(5))).isEqualTo(merged.toBuilder().setProducerByteRate(5).build());

        ClientQuota deleted = coordination.blocking().deleteQuota(DeleteQuotaRequest.newBuilder().setClientId("billing").build())
                .getDeleted();
        assertThat(deleted.getProducerByteRate()).isEqualTo(5);
        assertThat(list()).isEmpty();
    }

    @Test
    void theDefaultEntityIsListedFirstThenClientIdsInOrderWhateverTheirCharacters() {
        set(client("zeta/1 é").setConsumerByteRate(10));
        set(client("alpha").setProducerByteRate(20));
        set(SetQuotaRequest.newBuilder().setDefaultEntity(true).setProducerByteRate(30));

        assertThat(list()).extracting(ClientQuota::getDefaultEntity, ClientQuota::getClientId)
                .containsExactly(tuple(true, ""), tuple(false, "alpha"), tuple(false, "zeta/1 é"));
        coordination.blocking().deleteQuota(DeleteQuotaRequest.newBuilder().setDefaultEntity(true).build());
        assertThat(list()).extracting(ClientQuota::getClientId).containsExactly("alpha", "zeta/1 é");
    }

    @Test
    void badSetRequestsAreRefusedWithAPreciseMessage() {
        assertStrataError(() -> set(client("").setProducerByteRate(1)), ErrorCode.INVALID_REQUEST,
                "client_id must not be empty; to set the default quota of every client id without its own, use default_entity");
        assertStrataError(() -> set(client("a").setProducerByteRate(-5)), ErrorCode.INVALID_REQUEST,
                "producer_byte_rate must be > 0 bytes per second, got -5");
        assertStrataError(() -> set(client("a").setConsumerByteRate(0)), ErrorCode.INVALID_REQUEST,
                "consumer_byte_rate must be > 0 bytes per second, got 0");
        assertStrataError(() -> set(client("a")), ErrorCode.INVALID_REQUEST,
                "set at least one of producer_byte_rate and consumer_byte_rate for client id 'a'");
        assertStrataError(() -> set(client("a").setDefaultEntity(true).setProducerByteRate(1)), ErrorCode.INVALID_REQUEST,
                "client_id ('a') and default_entity are exclusive: give one");
        assertStrataError(() -> set(client("x".repeat(256)).setProducerByteRate(1)), ErrorCode.INVALID_REQUEST,
                "client_id is 256 characters long; at most 255 are allowed");
        assertThat(list()).isEmpty();
    }

    @Test
    void deletingAQuotaThatIsNotSetIsNotFound() {
        assertStrataError(() -> coordination.blocking().deleteQuota(DeleteQuotaRequest.newBuilder().setClientId("ghost").build()),
                ErrorCode.UNKNOWN_QUOTA, "no quota is set for client id 'ghost'");
        assertStrataError(() -> coordination.blocking().deleteQuota(DeleteQuotaRequest.newBuilder().setDefaultEntity(true).build()),
                ErrorCode.UNKNOWN_QUOTA, "no quota is set for the default entity");
        assertStrataError(() -> coordination.blocking().deleteQuota(DeleteQuotaRequest.getDefaultInstance()),
                ErrorCode.INVALID_REQUEST, "client_id must not be empty; to delete the default quota");
    }

    @Test
    void watchQuotasSendsEveryQuotaAtOnceAndAgainAfterEachChange() {
        set(client("a").setProducerByteRate(100));
        StreamRecorder<WatchQuotasRequest, QuotaSnapshot> watch = new StreamRecorder<>();
        coordination.async().watchQuotas(WatchQuotasRequest.getDefaultInstance(), watch);
        try {
            await().atMost(WAIT).until(() -> !watch.values.isEmpty());
            assertThat(watch.last().getQuotasList()).extracting(ClientQuota::getClientId).containsExactly("a");

            set(client("b").setConsumerByteRate(200));
            await().atMost(WAIT).until(() -> watch.last().getQuotasCount() == 2);
            coordination.blocking().deleteQuota(DeleteQuotaRequest.newBuilder().setClientId("a").build());
            await().atMost(WAIT).until(() -> watch.last().getQuotasCount() == 1);

            assertThat(watch.last().getQuotas(0).getClientId()).isEqualTo("b");
            assertThat(watch.values).extracting(QuotaSnapshot::getRevision).isSorted();
        } finally {
            watch.cancel();
        }
    }
}
