package io.strata.client.internal;

import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.strata.client.StrataException;
import io.strata.proto.StrataError;
import io.strata.proto.v1.CoordinationGrpc;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.LeadershipEvent;
import io.strata.proto.v1.ListGroupsRequest;
import io.strata.proto.v1.ListGroupsResponse;
import io.strata.proto.v1.GroupSummary;
import io.strata.proto.v1.GroupsGrpc;
import io.strata.proto.v1.ObserveRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link ActiveInstance}: Observe, the cache, following a standby's redirect, forgetting a dead instance. */
@Timeout(30)
class ActiveInstanceTest {

    private final List<Server> servers = new ArrayList<>();
    private final AtomicReference<String> leader = new AtomicReference<>("");
    private final AtomicInteger observes = new AtomicInteger();
    private final ChannelPool channels = new ChannelPool("test");

    @AfterEach
    void stop() {
        channels.close();
        servers.forEach(Server::shutdownNow);
    }

    private int serve(io.grpc.BindableService service) throws Exception {
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(service).build().start();
        servers.add(server);
        return server.getPort();
    }

    private Address coordination() throws Exception {
        return new Address("127.0.0.1", serve(new CoordinationGrpc.CoordinationImplBase() {
            @Override
            public void observe(ObserveRequest request, StreamObserver<LeadershipEvent> out) {
                assertThat(request.getElection()).isEqualTo("groups");
                observes.incrementAndGet();
                out.onNext(LeadershipEvent.newBuilder().setLeaderId(leader.get()).setTerm(1).build());
            }
        }));
    }

    private String groupsAnswering(String groupId) throws Exception {
        return "127.0.0.1:" + serve(new GroupsGrpc.GroupsImplBase() {
            @Override
            public void listGroups(ListGroupsRequest request, StreamObserver<ListGroupsResponse> out) {
                out.onNext(ListGroupsResponse.newBuilder().addGroups(GroupSummary.newBuilder().setGroupId(groupId)).build());
                out.onCompleted();
            }
        });
    }

    private String standbyNaming(String active, AtomicInteger calls) throws Exception {
        return "127.0.0.1:" + serve(new GroupsGrpc.GroupsImplBase() {
            @Override
            public void listGroups(ListGroupsRequest request, StreamObserver<ListGroupsResponse> out) {
                calls.incrementAndGet();
                Metadata trailers = new Metadata();
                trailers.put(StrataError.LEADER_KEY, active);
                out.onError(StrataError.exception(ErrorCode.NOT_COORDINATOR, "standby", trailers));
            }
        });
    }

    private ActiveInstance instance(Address... bootstrap) {
        return new ActiveInstance("groups", ErrorCode.NOT_COORDINATOR, List.of(bootstrap), channels, 5_000);
    }

    private static String firstGroup(ActiveInstance groups) {
        return groups.call(ch -> GroupsGrpc.newBlockingStub(ch).listGroups(ListGroupsRequest.getDefaultInstance()))
                .getGroups(0).getGroupId();
    }

    @Test
    void theObservedLeaderIsCachedUntilACallFails() throws Exception {
        Address coordination = coordination();
        leader.set(groupsAnswering("a"));
        ActiveInstance groups = instance(coordination);

        assertThat(firstGroup(groups)).isEqualTo("a");
        assertThat(firstGroup(groups)).isEqualTo("a");
        assertThat(observes.get()).isEqualTo(1);
    }

    @Test
    void aStandbysRefusalNamingTheActiveInstanceIsFollowedAndRemembered() throws Exception {
        Address coordination = coordination();
        String active = groupsAnswering("a");
        AtomicInteger standbyCalls = new AtomicInteger();
        leader.set(standbyNaming(active, standbyCalls));
        ActiveInstance groups = instance(coordination);

        assertThat(firstGroup(groups)).isEqualTo("a");
        assertThat(firstGroup(groups)).isEqualTo("a");
        assertThat(standbyCalls.get()).isEqualTo(1);
        assertThat(groups.address().toString()).isEqualTo(active);
    }

    @Test
    void anUnreachableInstanceIsForgottenAndTheElectionObservedAgain() throws Exception {
        Address coordination = coordination();
        int dead;
        try (ServerSocket s = new ServerSocket(0)) {
            dead = s.getLocalPort();
        }
        leader.set("127.0.0.1:" + dead);
        ActiveInstance groups = instance(coordination);
        assertThatThrownBy(() -> firstGroup(groups)).isInstanceOfSatisfying(StrataException.class,
                e -> assertThat(e.retriable()).isTrue());

        leader.set(groupsAnswering("b"));
        assertThat(firstGroup(groups)).isEqualTo("b");
        assertThat(observes.get()).isEqualTo(2);
    }

    @Test
    void noLeaderIsTheRolesRetriableNotActiveReason() throws Exception {
        ActiveInstance groups = instance(coordination());
        assertThatThrownBy(groups::address).isInstanceOfSatisfying(StrataException.class, e -> {
            assertThat(e.reason()).isEqualTo(ErrorCode.NOT_COORDINATOR);
            assertThat(e.retriable()).isTrue();
        });
    }

    @Test
    void anUnreachableBootstrapAddressIsSkipped() throws Exception {
        int dead;
        try (ServerSocket s = new ServerSocket(0)) {
            dead = s.getLocalPort();
        }
        Address coordination = coordination();
        leader.set(groupsAnswering("a"));
        assertThat(firstGroup(instance(new Address("127.0.0.1", dead), coordination))).isEqualTo("a");
    }
}
