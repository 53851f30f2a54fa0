package io.strata.client.admin;

import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.stub.StreamObserver;
import io.strata.client.StrataException;
import io.strata.client.TopicPartition;
import io.strata.proto.StrataError;
import io.strata.proto.v1.CoordinationGrpc;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.LeadershipEvent;
import io.strata.proto.v1.ObserveRequest;
import io.strata.proto.v1.PartitionState;
import io.strata.proto.v1.ReassignPartitionsRequest;
import io.strata.proto.v1.ReassignPartitionsResponse;
import io.strata.proto.v1.ReplicationGrpc;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link StrataAdmin#reassignPartitions}: finds the active replication controller through
 * coordination's Observe, follows a standby's NOT_CONTROLLER once, and maps the answer.
 */
@Timeout(30)
class StrataAdminReassignTest {

    private final List<Server> servers = new ArrayList<>();
    private final AtomicReference<String> observedLeader = new AtomicReference<>("");
    private final List<ReassignPartitionsRequest> received = new ArrayList<>();

    @AfterEach
    void stop() {
        servers.forEach(Server::shutdownNow);
    }

    private int serve(io.grpc.BindableService service) throws Exception {
        Server server = io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(service).build().start();
        servers.add(server);
        return server.getPort();
    }

    private int coordination() throws Exception {
        return serve(new CoordinationGrpc.CoordinationImplBase() {
            @Override
            public void observe(ObserveRequest request, StreamObserver<LeadershipEvent> out) {
                assertThat(request.getElection()).isEqualTo("replication");
                out.onNext(LeadershipEvent.newBuilder().setLeaderId(observedLeader.get()).setTerm(1).build());
                // The stream stays open, as coordination's does: the client must cancel it.
            }
        });
    }

    /** Answers each reassignment with its union state (target first, old replica 1 last). */
    private int activeController() throws Exception {
        return serve(new ReplicationGrpc.ReplicationImplBase() {
            @Override
            public void reassignPartitions(ReassignPartitionsRequest request, StreamObserver<ReassignPartitionsResponse> out) {
                synchronized (received) {
                    received.add(request);
                }
                ReassignPartitionsResponse.Builder answer = ReassignPartitionsResponse.newBuilder();
                request.getReassignmentsList().forEach(r -> {
                    PartitionState.Builder s = PartitionState.newBuilder().setTopic(r.getTopic()).setPartition(r.getPartition())
                            .setLeader(1).addIsr(1);
                    if (r.getReplicasCount() == 0) {
                        s.addReplicas(1);
                    } else {
                        s.addAllReplicas(r.getReplicasList()).addReplicas(1).addAllTargetReplicas(r.getReplicasList());
                    }
                    answer.addStates(s);
                });
                out.onNext(answer.build());
                out.onCompleted();
            }
        });
    }

    private int standbyNaming(String active) throws Exception {
        return serve(new ReplicationGrpc.ReplicationImplBase() {
            @Override
            public void reassignPartitions(ReassignPartitionsRequest request, StreamObserver<ReassignPartitionsResponse> out) {
                Metadata trailers = new Metadata();
                trailers.put(StrataError.LEADER_KEY, active);
                out.onError(StrataError.exception(ErrorCode.NOT_CONTROLLER, "a standby", trailers));
            }
        });
    }

    @Test
    void reassignmentGoesToTheObservedControllerAndFollowsAStandbysRedirectOnce() throws Exception {
        int coordination = coordination();
        String active = "127.0.0.1:" + activeController();
        observedLeader.set("127.0.0.1:" + standbyNaming(active));
        try (StrataAdmin admin = StrataAdmin.forBootstrap("127.0.0.1:" + coordination)) {
            Map<TopicPartition, List<Integer>> wanted = new LinkedHashMap<>();
            wanted.put(new TopicPartition("orders", 0), List.of(4, 2));
            wanted.put(new TopicPartition("orders", 1), List.of());

            List<PartitionReassignment> states = admin.reassignPartitions(wanted);

            assertThat(states).hasSize(2);
            assertThat(states.get(0).partition().replicas()).containsExactly(4, 2, 1);
            assertThat(states.get(0).targetReplicas()).containsExactly(4, 2);
            assertThat(states.get(0).inProgress()).isTrue();
            assertThat(states.get(1).partition().partition()).isEqualTo(1);
            assertThat(states.get(1).inProgress()).isFalse();
            assertThat(received).singleElement().satisfies(r -> {
                assertThat(r.getReassignments(0).getReplicasList()).containsExactly(4, 2);
                assertThat(r.getReassignments(1).getReplicasCount()).isZero();
            });
            assertThat(admin.reassignPartition("orders", 2, List.of(5)).targetReplicas()).containsExactly(5);
        }
    }

    @Test
    void noActiveControllerIsARetriableNotController() throws Exception {
        int coordination = coordination();
        try (StrataAdmin admin = StrataAdmin.forBootstrap("127.0.0.1:" + coordination)) {
            assertThatThrownBy(() -> admin.reassignPartition("orders", 0, List.of(1))).isInstanceOfSatisfying(StrataException.class,
                    e -> {
                        assertThat(e.reason()).isEqualTo(ErrorCode.NOT_CONTROLLER);
                        assertThat(e.retriable()).isTrue();
                    });
        }
    }
}
