package io.strata.coordination.grpc;

import io.grpc.StatusRuntimeException;
import io.strata.coordination.health.MetadataStoreReadiness;
import io.strata.coordination.store.EtcdMetadataStore;
import io.strata.coordination.testing.EtcdExtension;
import io.strata.proto.StrataError;
import io.strata.proto.v1.ClusterMetadata;
import io.strata.proto.v1.CreateTopicRequest;
import io.strata.proto.v1.DescribeTopicRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.ListTopicsRequest;
import io.strata.proto.v1.MetadataRequest;
import io.strata.proto.v1.Node;
import io.strata.proto.v1.TopicDescription;
import io.strata.proto.v1.TopicSummary;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.strata.coordination.grpc.CoordinationTestServer.assertStrataError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The Coordination service while its etcd hangs (SIGSTOP) or is killed, and after it is back:
 * RPCs fail as METADATA_UNAVAILABLE within the request timeout, readiness is DOWN, and the
 * same server, never restarted, answers again within seconds of etcd's return, with everything
 * written before the outage. Readiness runs with its production interval and probe timeout.
 * This class freezes and kills its own etcd; the store-level outage is {@code EtcdOutageTest}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EtcdOutageRpcTest {

    @RegisterExtension
    static final EtcdExtension ETCD = new EtcdExtension();

    private static final Logger LOG = Logger.getLogger(EtcdOutageRpcTest.class);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(2);
    /** What a failing RPC may take beyond the request timeout. */
    private static final Duration MARGIN = Duration.ofSeconds(1);
    /** How soon after etcd is back the server must answer again, and readiness be UP. */
    private static final Duration RECOVERY = Duration.ofSeconds(5);
    /** Long enough for grpc-java's reconnect backoff (1 s × 1.6 per attempt) to reach 15–25 s. */
    private static final Duration LONG_OUTAGE = Duration.ofSeconds(25);

    private CoordinationTestServer coordination;
    private MetadataStoreReadiness readiness;
    private SessionClient node;

    @BeforeEach
    void start() throws Exception {
        EtcdMetadataStore store = EtcdMetadataStore.builder(ETCD.endpoints()).root(EtcdExtension.newRoot())
                .requestTimeout(REQUEST_TIMEOUT).open();
        coordination = new CoordinationTestServer(store, Map.of("strata.num.partitions", "2"));
        readiness = new MetadataStoreReadiness(coordination.store);
        node = coordination.liveStorageNode(1);
    }

    @AfterEach
    void stop() throws Exception {
        ETCD.heal();
        node.complete();
        node.awaitEnd();
        readiness.close();
        coordination.close();
    }

    @Test
    void whileEtcdHangsRpcsFailAsMetadataUnavailableAndReadinessIsDownThenTheSameServerRecoversWhenEtcdResumes() {
        TopicDescription orders = create("orders");
        awaitReadiness(HealthCheckResponse.Status.UP, RECOVERY);

        ETCD.freeze();
        long frozenAt = System.nanoTime();
        awaitReadiness(HealthCheckResponse.Status.DOWN, Duration.ofSeconds(5));
        Duration down = since(frozenAt);
        Duration createFailed = assertMetadataUnavailableWithinTheTimeout(() -> create("during-the-outage"));
        Duration metadataFailed = assertMetadataUnavailableWithinTheTimeout(this::metadata);
        Duration checkTook = timed(() -> assertThat(readiness.call().getData().orElseThrow()).containsKey("error"));

        ETCD.thaw();
        Duration recovered = awaitAnswers(RECOVERY);
        awaitReadiness(HealthCheckResponse.Status.UP, RECOVERY);

        assertEverythingWrittenBeforeIsThere(orders);
        LOG.infof("etcd frozen: CreateTopic failed after %d ms, GetMetadata after %d ms, readiness DOWN %d ms after SIGSTOP"
                        + " (check answered in %d ms); first answer %d ms after SIGCONT",
                createFailed.toMillis(), metadataFailed.toMillis(), down.toMillis(), checkTook.toMillis(), recovered.toMillis());
        assertThat(checkTook).isLessThan(Duration.ofMillis(200));
    }

    @Test
    void afterEtcdWasKilledForHalfAMinuteTheIdleServerIsReadyAndAnswersWithinSecondsOfTheRestartOnTheSameData() {
        TopicDescription orders = create("orders");

        ETCD.kill();
        long killedAt = System.nanoTime();
        awaitReadiness(HealthCheckResponse.Status.DOWN, Duration.ofSeconds(5));
        Duration down = since(killedAt);
        Duration createFailed = assertMetadataUnavailableWithinTheTimeout(() -> create("during-the-outage"));
        Duration metadataFailed = assertMetadataUnavailableWithinTheTimeout(this::metadata);
        // The rest of the outage nobody calls: only the readiness probe touches the store, and readiness stays DOWN.
        await().during(LONG_OUTAGE.minus(since(killedAt))).atMost(LONG_OUTAGE.plusSeconds(5)).pollInterval(Duration.ofMillis(250))
                .until(() -> readiness.call().getStatus() == HealthCheckResponse.Status.DOWN);
        Duration lateFailed = assertMetadataUnavailableWithinTheTimeout(this::metadata);
        Duration outage = since(killedAt);

        ETCD.restart();
        long restartedAt = System.nanoTime();
        awaitReadiness(HealthCheckResponse.Status.UP, RECOVERY);
        Duration ready = since(restartedAt);
        Duration answered = timed(this::metadata);

        assertEverythingWrittenBeforeIsThere(orders);
        LOG.infof("etcd killed for %d ms: readiness DOWN %d ms after SIGKILL; CreateTopic failed after %d ms, GetMetadata after"
                        + " %d ms, and at the end of the outage after %d ms; readiness UP %d ms after the restart, then"
                        + " GetMetadata answered in %d ms",
                outage.toMillis(), down.toMillis(), createFailed.toMillis(), metadataFailed.toMillis(), lateFailed.toMillis(),
                ready.toMillis(), answered.toMillis());
    }

    // ---- helpers ----

    private TopicDescription create(String name) {
        return coordination.blocking().createTopic(CreateTopicRequest.newBuilder().setName(name).build());
    }

    private ClusterMetadata metadata() {
        return coordination.blocking().getMetadata(MetadataRequest.getDefaultInstance());
    }

    /**
     * The topic and the node session from before the outage are intact. A CreateTopic that
     * timed out during the outage may or may not have applied (etcd may run a request it had
     * already received once it resumes), but never half: the topic is whole or absent.
     */
    private void assertEverythingWrittenBeforeIsThere(TopicDescription orders) {
        assertThat(coordination.blocking().describeTopic(DescribeTopicRequest.newBuilder().setName("orders").build()))
                .isEqualTo(orders);
        ClusterMetadata metadata = metadata();
        assertThat(metadata.getNodesList()).extracting(Node::getNodeId).containsExactly(1);
        assertThat(node.keepAlive(true).getLeaseId()).isPositive();
        assertThat(coordination.blocking().listTopics(ListTopicsRequest.getDefaultInstance()).getTopicsList())
                .extracting(TopicSummary::getName).contains("orders")
                .allMatch(name -> name.equals("orders") || name.equals("during-the-outage"));
        metadata.getTopicsList().stream().filter(t -> t.getName().equals("during-the-outage"))
                .forEach(t -> assertThat(t.getPartitionsCount()).isEqualTo(2));
    }

    private static Duration assertMetadataUnavailableWithinTheTimeout(ThrowingCallable call) {
        Duration took = timed(() -> assertStrataError(call, ErrorCode.METADATA_UNAVAILABLE, "the metadata store is unavailable"));
        assertThat(took).isLessThan(REQUEST_TIMEOUT.plus(MARGIN));
        return took;
    }

    /** Polls GetMetadata until it answers; how long that took. */
    private Duration awaitAnswers(Duration atMost) {
        long start = System.nanoTime();
        await().atMost(atMost).pollInterval(Duration.ofMillis(50))
                .ignoreExceptionsMatching(e -> e instanceof StatusRuntimeException s
                        && StrataError.reasonOf(s).filter(ErrorCode.METADATA_UNAVAILABLE::equals).isPresent())
                .until(() -> metadata().getClusterId().length() > 0);
        return since(start);
    }

    private void awaitReadiness(HealthCheckResponse.Status status, Duration atMost) {
        await().atMost(atMost).pollInterval(Duration.ofMillis(50)).until(() -> readiness.call().getStatus() == status);
    }

    private static Duration timed(Runnable action) {
        long start = System.nanoTime();
        action.run();
        return since(start);
    }

    private static Duration since(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }
}
