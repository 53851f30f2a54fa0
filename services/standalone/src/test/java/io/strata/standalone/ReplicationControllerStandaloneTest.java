package io.strata.standalone;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.quarkus.test.junit.QuarkusTest;
import io.strata.proto.StrataError;
import io.strata.proto.v1.AlterIsrRequest;
import io.strata.proto.v1.CoordinationGrpc;
import io.strata.proto.v1.CreateTopicRequest;
import io.strata.proto.v1.ElectPreferredLeadersRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.LeadershipEvent;
import io.strata.proto.v1.ObserveRequest;
import io.strata.proto.v1.PartitionState;
import io.strata.proto.v1.ReplicationGrpc;
import io.strata.replication.ReplicationNode;
import io.strata.runtime.GrpcServer;
import io.strata.storage.StorageNode;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.Iterator;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Standalone hosts the replication role: its one instance wins the "replication" election under
 * its advertised address (what storage nodes observe to find the controller) and answers AlterIsr.
 */
@QuarkusTest
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ReplicationControllerStandaloneTest {

    @Inject
    GrpcServer grpcServer;
    @Inject
    StorageNode storageNode;
    @Inject
    ReplicationNode replicationNode;

    private ManagedChannel channel;

    @BeforeEach
    void connect() {
        channel = NettyChannelBuilder.forAddress("127.0.0.1", grpcServer.port()).usePlaintext().build();
        await().atMost(Duration.ofSeconds(30)).until(() -> storageNode.isReady() && replicationNode.controller().isActive());
    }

    @AfterEach
    void disconnect() {
        channel.shutdownNow();
    }

    @Test
    void theControllerLeadsTheElectionUnderItsAdvertisedAddress() {
        Iterator<LeadershipEvent> events = CoordinationGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .observe(ObserveRequest.newBuilder().setElection("replication").build());
        LeadershipEvent event = events.next();
        while (event.getLeaderId().isEmpty()) {
            event = events.next();
        }
        assertThat(event.getLeaderId()).isEqualTo(grpcServer.advertised().toString());
    }

    @Test
    void alterIsrAnswersTheStoredStateAndRefusesAStaleEpoch() {
        String topic = "replication-" + UUID.randomUUID();
        PartitionState p = CoordinationGrpc.newBlockingStub(channel).createTopic(CreateTopicRequest.newBuilder().setName(topic)
                .setPartitions(1).setReplicationFactor(1).build()).getPartitions(0);
        ReplicationGrpc.ReplicationBlockingStub replication = ReplicationGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
        AlterIsrRequest request = AlterIsrRequest.newBuilder().setTopic(topic).setPartition(0).setLeaderId(p.getLeader())
                .setLeaderEpoch(p.getLeaderEpoch()).setPartitionEpoch(p.getPartitionEpoch()).addNewIsr(p.getLeader()).build();

        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> replication.alterIsr(request).equals(p));

        assertThatThrownBy(() -> replication.alterIsr(request.toBuilder().setLeaderEpoch(p.getLeaderEpoch() + 1).build()))
                .satisfies(e -> assertThat(StrataError.reasonOf(e)).contains(ErrorCode.FENCED_LEADER_EPOCH));
        assertThat(replication.electPreferredLeaders(ElectPreferredLeadersRequest.getDefaultInstance()).getElectedList()).isEmpty();
    }
}
