package io.strata.coordination.grpc;

import io.strata.coordination.layout.Keys;
import io.strata.proto.v1.ClusterMetadata;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.MetadataRequest;
import io.strata.proto.v1.Node;
import io.strata.proto.v1.NodeRole;
import io.strata.proto.v1.NodeSessionRequest;
import io.strata.proto.v1.NodeSessionResponse;
import io.strata.proto.v1.RegisterNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.strata.coordination.grpc.CoordinationTestServer.assertStrataError;
import static io.strata.coordination.grpc.CoordinationTestServer.storage;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** NodeSession streams: registration, keep-alive, expiry, takeover and refusal, over a real gRPC server. */
@Timeout(60)
class NodeSessionRpcTest {

    @TempDir
    Path dir;

    private CoordinationTestServer coordination;
    private final List<SessionClient> sessions = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        coordination = new CoordinationTestServer(dir);
    }

    @AfterEach
    void stop() throws Exception {
        sessions.forEach(SessionClient::close);
        coordination.close();
    }

    private SessionClient session() {
        SessionClient s = coordination.session();
        sessions.add(s);
        return s;
    }

    private List<Integer> liveNodeIds() {
        return coordination.blocking().getMetadata(MetadataRequest.getDefaultInstance()).getNodesList().stream()
                .map(Node::getNodeId).toList();
    }

    @Test
    void registerAnswersWithTheLeaseAndTimeoutAndTheNodeIsLive() {
        NodeSessionResponse response = session().register(storage(1, "a").setSessionTimeoutMs(3000).setRack("r1").build());

        assertThat(response.getLeaseId()).isPositive();
        assertThat(response.getSessionTimeoutMs()).isEqualTo(3000);
        ClusterMetadata metadata = coordination.blocking().getMetadata(MetadataRequest.getDefaultInstance());
        assertThat(metadata.getNodesList()).containsExactly(Node.newBuilder().setNodeId(1).setHost("storage-1").setPort(9101)
                .setRack("r1").build());
    }

    @Test
    void aSessionTimeoutOfZeroTakesTheConfiguredDefault() {
        assertThat(session().register(storage(1, "a").setSessionTimeoutMs(0).build()).getSessionTimeoutMs()).isEqualTo(6000);
    }

    @Test
    void everyKeepAliveGetsAnAnswerWithTheSameLease() {
        SessionClient session = session();
        long lease = session.register(storage(1, "a").build()).getLeaseId();

        for (int i = 0; i < 3; i++) {
            assertThat(session.keepAlive(true).getLeaseId()).isEqualTo(lease);
        }
    }

    @Test
    void theFirstMessageMustBeARegistration() {
        assertStrataError(() -> session().keepAlive(true), ErrorCode.INVALID_REQUEST, "first message of a node session must be register");
        assertStrataError(() -> session().send(NodeSessionRequest.getDefaultInstance()), ErrorCode.INVALID_REQUEST, "empty session message");
    }

    @Test
    void aSecondRegistrationInTheSameSessionIsRefused() {
        SessionClient session = session();
        session.register(storage(1, "a").build());

        assertStrataError(() -> session.register(storage(1, "a").build()), ErrorCode.INVALID_REQUEST, "already registered");
    }

    @Test
    void aMalformedRegistrationIsInvalidRequest() {
        assertStrataError(() -> session().register(storage(1, "a").setRole(NodeRole.NODE_ROLE_UNSPECIFIED).build()),
                ErrorCode.INVALID_REQUEST, "role");
        assertStrataError(() -> session().register(storage(1, "").build()), ErrorCode.INVALID_REQUEST, "instance_id");
        assertStrataError(() -> session().register(storage(-1, "a").build()), ErrorCode.INVALID_REQUEST, "node_id");
        assertStrataError(() -> session().register(storage(1, "a").setHost("").build()), ErrorCode.INVALID_REQUEST, "host");
        assertStrataError(() -> session().register(storage(1, "a").setPort(70000).build()), ErrorCode.INVALID_REQUEST, "port");
        assertStrataError(() -> session().register(storage(1, "a").setSessionTimeoutMs(5).build()), ErrorCode.INVALID_REQUEST,
                "session_timeout_ms");
    }

    @Test
    void anIdLiveUnderAnotherInstanceIsNodeAlreadyRegistered() {
        session().register(storage(1, "first-instance").build());

        assertStrataError(() -> session().register(storage(1, "second-instance").build()), ErrorCode.NODE_ALREADY_REGISTERED,
                "node id 1 is already registered by a live node at storage-1:9101 (instance first-instance)");
    }

    @Test
    void theSameInstanceRegisteringAgainTakesTheIdOverAndEndsTheOldSession() {
        SessionClient old = session();
        long oldLease = old.register(storage(1, "same").build()).getLeaseId();

        SessionClient restarted = session();
        long newLease = restarted.register(storage(1, "same").setPort(9999).build()).getLeaseId();

        assertThat(newLease).isNotEqualTo(oldLease);
        assertThat(coordination.store.get(Keys.node(NodeRole.STORAGE, "1")).orElseThrow().leaseId()).isEqualTo(newLease);
        assertStrataError(() -> old.keepAlive(true), ErrorCode.NODE_ALREADY_REGISTERED, "newer session");
        assertThat(liveNodeIds()).containsExactly(1);
        assertThat(restarted.keepAlive(true).getLeaseId()).isEqualTo(newLease);
    }

    @Test
    void aSessionWithoutKeepAlivesExpiresAndItsNodeIsGone() {
        SessionClient session = session();
        session.register(storage(1, "a").setSessionTimeoutMs(1000).build());
        assertThat(liveNodeIds()).containsExactly(1);

        coordination.clock.advance(Duration.ofMillis(1001));

        await().atMost(Duration.ofSeconds(10)).until(() -> liveNodeIds().isEmpty());
        assertStrataError(() -> session.keepAlive(true), ErrorCode.REQUEST_TIMED_OUT, "expired");
    }

    @Test
    void keepAlivesHoldTheSessionPastItsTimeout() {
        SessionClient session = session();
        session.register(storage(1, "a").setSessionTimeoutMs(1000).build());

        for (int i = 0; i < 3; i++) {
            coordination.clock.advance(Duration.ofMillis(700));
            session.keepAlive(true);
        }

        assertThat(liveNodeIds()).containsExactly(1);
    }

    @Test
    void endingTheStreamRemovesTheNodeAtOnce() {
        SessionClient completing = session();
        completing.register(storage(1, "a").build());
        SessionClient cancelling = session();
        cancelling.register(storage(2, "b").build());
        assertThat(liveNodeIds()).containsExactly(1, 2);

        completing.complete();
        assertThat(completing.awaitEnd()).isNull();
        cancelling.close();

        await().atMost(Duration.ofSeconds(10)).until(() -> liveNodeIds().isEmpty());
        assertThat(coordination.store.getPrefix(Keys.NODES).kvs()).isEmpty();
    }

    @Test
    void onlyReadyNodesAreListedAndKeepAliveUpdatesReadiness() {
        SessionClient session = session();
        session.register(storage(1, "a").setReady(false).build());
        assertThat(liveNodeIds()).isEmpty();

        session.keepAlive(true);

        assertThat(liveNodeIds()).containsExactly(1);
        session.keepAlive(false);
        assertThat(liveNodeIds()).isEmpty();
    }

    @Test
    void otherRolesRegisterUnderTheirInstanceId() {
        session().register(RegisterNode.newBuilder().setRole(NodeRole.INGESTION).setInstanceId("ingest-a").setHost("in-a")
                .setPort(8080).setReady(true).build());
        session().register(RegisterNode.newBuilder().setRole(NodeRole.REPLICATION).setInstanceId("ctrl-1").build());

        assertThat(coordination.store.get("nodes/ingestion/ingest-a")).isPresent();
        assertThat(coordination.store.get("nodes/replication/ctrl-1")).isPresent();
        assertThat(coordination.blocking().getMetadata(MetadataRequest.getDefaultInstance()).getIngestionEndpointsList())
                .containsExactly("in-a:8080");
    }

    @Test
    void sessionsCutByThisInstanceShuttingDownKeepTheirRegistrationUntilTheLeaseExpires() {
        SessionClient cut = session();
        cut.register(storage(1, "a").setSessionTimeoutMs(1000).build());
        SessionClient leaving = session();
        leaving.register(storage(2, "b").build());

        coordination.service.beginShutdown();
        cut.close();
        leaving.complete();
        leaving.awaitEnd();

        assertThat(coordination.store.get(Keys.node(NodeRole.STORAGE, "2"))).isEmpty();
        assertThat(coordination.store.get(Keys.node(NodeRole.STORAGE, "1"))).isPresent();
        coordination.clock.advance(Duration.ofMillis(1001));
        await().atMost(Duration.ofSeconds(10)).until(() -> coordination.store.get(Keys.node(NodeRole.STORAGE, "1")).isEmpty());
    }
}
