package io.strata.cli;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.strata.proto.StrataError;
import io.strata.proto.v1.ClientQuota;
import io.strata.proto.v1.CoordinationGrpc;
import io.strata.proto.v1.DeleteQuotaRequest;
import io.strata.proto.v1.DeleteQuotaResponse;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.ListQuotasRequest;
import io.strata.proto.v1.ListQuotasResponse;
import io.strata.proto.v1.SetQuotaRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code strata quota set|list|delete} against a coordination stand-in that stores quotas as
 * coordination does (merging rates) and refuses what it refuses: what the commands send, print
 * and exit with. The real validation is tested in the coordination module (QuotaRpcTest).
 */
@Timeout(30)
class QuotaCommandTest {

    private final TreeMap<String, ClientQuota> stored = new TreeMap<>(); // "" = the default entity
    private final List<SetQuotaRequest> sets = new ArrayList<>();
    private Server server;
    private String bootstrap;
    private StringWriter out;
    private StringWriter err;

    @BeforeEach
    void start() throws Exception {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(new QuotaStandIn()).build().start();
        bootstrap = "127.0.0.1:" + server.getPort();
    }

    @AfterEach
    void stop() {
        server.shutdownNow();
    }

    private int strata(String... args) {
        out = new StringWriter();
        err = new StringWriter();
        String[] all = new String[args.length + 2];
        all[0] = "--bootstrap";
        all[1] = bootstrap;
        System.arraycopy(args, 0, all, 2, args.length);
        return new StrataCli(Map.of(), new ByteArrayInputStream(new byte[0])).execute(all, new PrintWriter(out), new PrintWriter(err));
    }

    @Test
    void setListAndDeleteAClientQuotaAndTheDefault() {
        assertThat(strata("quota", "set", "--client-id", "billing", "--producer-byte-rate", "1048576")).isZero();
        assertThat(out.toString()).isEqualTo("Set the quota of client id 'billing': producer_byte_rate=1048576, consumer_byte_rate=none.\n");
        assertThat(sets.get(0)).isEqualTo(SetQuotaRequest.newBuilder().setClientId("billing").setProducerByteRate(1_048_576).build());

        assertThat(strata("quota", "set", "--default", "--consumer-byte-rate", "2048")).isZero();
        assertThat(sets.get(1)).isEqualTo(SetQuotaRequest.newBuilder().setDefaultEntity(true).setConsumerByteRate(2048).build());

        assertThat(strata("quota", "list")).isZero();
        assertThat(out.toString()).isEqualTo("""
                CLIENT-ID  PRODUCER-BYTE-RATE  CONSUMER-BYTE-RATE
                <default>  -                   2048
                billing    1048576             -
                """);

        assertThat(strata("quota", "delete", "--client-id", "billing")).isZero();
        assertThat(out.toString()).isEqualTo("Deleted the quota of client id 'billing' (was producer_byte_rate=1048576,"
                + " consumer_byte_rate=none).\n");
        assertThat(strata("quota", "delete", "--default")).isZero();
        assertThat(stored).isEmpty();
    }

    @Test
    void listJsonNamesTheRatesAsKafkaWithNullForNone() {
        strata("quota", "set", "--client-id", "x", "--producer-byte-rate", "1048576");
        strata("quota", "set", "--default", "--producer-byte-rate", "10", "--consumer-byte-rate", "20");

        assertThat(strata("quota", "list", "--output", "json")).isZero();

        assertThat(out.toString().replaceAll("\\s", "")).isEqualTo("{\"quotas\":["
                + "{\"client_id\":null,\"default\":true,\"producer_byte_rate\":10,\"consumer_byte_rate\":20},"
                + "{\"client_id\":\"x\",\"default\":false,\"producer_byte_rate\":1048576,\"consumer_byte_rate\":null}]}");
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void refusalsPrintTheServersMessageAndReasonAndExitOne() {
        assertThat(strata("quota", "set", "--client-id", "x", "--producer-byte-rate", "-5")).isEqualTo(1);
        assertThat(err.toString()).isEqualTo("Error: producer_byte_rate must be > 0 bytes per second, got -5 (INVALID_REQUEST)\n");

        assertThat(strata("quota", "delete", "--client-id", "ghost")).isEqualTo(1);
        assertThat(err.toString()).isEqualTo("Error: no quota is set for client id 'ghost' (UNKNOWN_QUOTA)\n");
        assertThat(out.toString()).isEmpty();
    }

    @Test
    void usageErrorsExitTwoWithoutCallingTheServer() {
        assertThat(strata("quota", "set", "--client-id", "x")).isEqualTo(2);
        assertThat(err.toString()).contains("give --producer-byte-rate B, --consumer-byte-rate B, or both");
        assertThat(strata("quota", "set", "--producer-byte-rate", "1")).isEqualTo(2);
        assertThat(err.toString()).contains("Missing required argument").contains("--client-id").contains("--default");
        assertThat(strata("quota", "delete", "--client-id", "x", "--default")).isEqualTo(2);
        assertThat(err.toString()).contains("mutually exclusive");
        assertThat(strata("quota", "set", "--client-id", "x", "--producer-byte-rate", "lots")).isEqualTo(2);
        assertThat(sets).isEmpty();
    }

    /** Coordination's quota RPCs, in memory. */
    private final class QuotaStandIn extends CoordinationGrpc.CoordinationImplBase {
        @Override
        public void setQuota(SetQuotaRequest request, StreamObserver<ClientQuota> responses) {
            sets.add(request);
            for (long rate : new long[] {request.getProducerByteRate(), request.getConsumerByteRate()}) {
                if (rate < 0) {
                    responses.onError(StrataError.exception(ErrorCode.INVALID_REQUEST,
                            "producer_byte_rate must be > 0 bytes per second, got " + rate));
                    return;
                }
            }
            String key = request.getDefaultEntity() ? "" : request.getClientId();
            ClientQuota.Builder q = stored.containsKey(key) ? stored.get(key).toBuilder()
                    : ClientQuota.newBuilder().setClientId(request.getClientId()).setDefaultEntity(request.getDefaultEntity());
            if (request.hasProducerByteRate()) {
                q.setProducerByteRate(request.getProducerByteRate());
            }
            if (request.hasConsumerByteRate()) {
                q.setConsumerByteRate(request.getConsumerByteRate());
            }
            stored.put(key, q.build());
            responses.onNext(q.build());
            responses.onCompleted();
        }

        @Override
        public void deleteQuota(DeleteQuotaRequest request, StreamObserver<DeleteQuotaResponse> responses) {
            ClientQuota q = stored.remove(request.getDefaultEntity() ? "" : request.getClientId());
            if (q == null) {
                responses.onError(StrataError.exception(ErrorCode.UNKNOWN_QUOTA,
                        "no quota is set for client id '" + request.getClientId() + "'"));
                return;
            }
            responses.onNext(DeleteQuotaResponse.newBuilder().setDeleted(q).build());
            responses.onCompleted();
        }

        @Override
        public void listQuotas(ListQuotasRequest request, StreamObserver<ListQuotasResponse> responses) {
            responses.onNext(ListQuotasResponse.newBuilder().addAllQuotas(stored.values()).build());
            responses.onCompleted();
        }
    }
}
