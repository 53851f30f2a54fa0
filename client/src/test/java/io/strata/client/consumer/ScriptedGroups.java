package io.strata.client.consumer;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.strata.client.TopicPartition;
import io.strata.client.testing.FakeStrata;
import io.strata.proto.StrataError;
import io.strata.proto.v1.Assignment;
import io.strata.proto.v1.ClusterMetadata;
import io.strata.proto.v1.CommitOffsetsRequest;
import io.strata.proto.v1.CommitOffsetsResponse;
import io.strata.proto.v1.CoordinationGrpc;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.FetchOffsetsRequest;
import io.strata.proto.v1.FetchOffsetsResponse;
import io.strata.proto.v1.GroupHeartbeatRequest;
import io.strata.proto.v1.GroupHeartbeatResponse;
import io.strata.proto.v1.GroupsGrpc;
import io.strata.proto.v1.LeadershipEvent;
import io.strata.proto.v1.MetadataRequest;
import io.strata.proto.v1.ObserveRequest;
import io.strata.proto.v1.OffsetCommit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A scripted groups coordinator for consumer tests, on a real gRPC server: its coordination
 * service answers Observe{groups} with the active groups instance (itself, or a standby that
 * refuses every call with NOT_COORDINATOR naming it) and proxies GetMetadata to a
 * {@link FakeStrata}, whose storage serves the fetches. The test scripts the heartbeat answers
 * and commit refusals; every request is recorded.
 */
final class ScriptedGroups implements AutoCloseable {

    /** Answers one heartbeat; may throw a {@link StatusRuntimeException} ({@link StrataError#exception}). */
    interface HeartbeatScript {
        GroupHeartbeatResponse answer(GroupHeartbeatRequest request);
    }

    final LinkedBlockingQueue<GroupHeartbeatRequest> heartbeats = new LinkedBlockingQueue<>();
    final List<CommitOffsetsRequest> commits = new ArrayList<>();
    final Map<TopicPartition, Long> committed = new ConcurrentHashMap<>();
    final AtomicInteger standbyCalls = new AtomicInteger();
    volatile HeartbeatScript script = r -> GroupHeartbeatResponse.getDefaultInstance();
    /** The reason to refuse a commit with, or {@code null} to store it. */
    volatile Function<CommitOffsetsRequest, ErrorCode> commitCheck = r -> null;

    private final ManagedChannel fakeChannel;
    private final Server active;
    private Server standby;
    private volatile String observedLeader;

    ScriptedGroups(FakeStrata fake) throws IOException {
        fakeChannel = NettyChannelBuilder.forAddress("127.0.0.1", fake.port()).usePlaintext().build();
        active = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new Coordination())
                .addService(new ActiveGroups())
                .build().start();
        observedLeader = address();
    }

    /** The bootstrap address (coordination) of the consumer under test. */
    String bootstrap() {
        return address();
    }

    /** The active groups instance's {@code host:port}. */
    String address() {
        return "127.0.0.1:" + active.getPort();
    }

    /** From now on Observe names a standby, which refuses everything with NOT_COORDINATOR naming the active instance. */
    void observeStandby() throws IOException {
        standby = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new StandbyGroups()).build().start();
        observedLeader = "127.0.0.1:" + standby.getPort();
    }

    /** The next heartbeat that matches, skipping the others; fails after 10 s. */
    GroupHeartbeatRequest awaitHeartbeat(Predicate<GroupHeartbeatRequest> matching) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            GroupHeartbeatRequest r = heartbeats.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (r == null) {
                throw new AssertionError("no matching heartbeat within 10 s");
            }
            if (matching.test(r)) {
                return r;
            }
        }
    }

    List<CommitOffsetsRequest> commits() {
        synchronized (commits) {
            return List.copyOf(commits);
        }
    }

    static GroupHeartbeatResponse answer(String memberId, int epoch, int intervalMs, Set<TopicPartition> assignment) {
        GroupHeartbeatResponse.Builder b = GroupHeartbeatResponse.newBuilder().setMemberId(memberId)
                .setMemberEpoch(epoch).setHeartbeatIntervalMs(intervalMs);
        if (assignment != null) {
            b.setAssignment(Assignment.newBuilder().addAllPartitions(MembershipManager.toWire(assignment)));
        }
        return b.build();
    }

    static Set<TopicPartition> owned(GroupHeartbeatRequest r) {
        return MembershipManager.fromWire(r.getOwnedPartitionsList());
    }

    @Override
    public void close() throws InterruptedException {
        active.shutdownNow();
        if (standby != null) {
            standby.shutdownNow();
        }
        fakeChannel.shutdownNow();
        active.awaitTermination(5, TimeUnit.SECONDS);
        fakeChannel.awaitTermination(5, TimeUnit.SECONDS);
    }

    private final class Coordination extends CoordinationGrpc.CoordinationImplBase {
        @Override
        public void observe(ObserveRequest request, StreamObserver<LeadershipEvent> out) {
            String leader = "groups".equals(request.getElection()) ? observedLeader : "";
            out.onNext(LeadershipEvent.newBuilder().setElection(request.getElection()).setLeaderId(leader).setTerm(1).build());
            // the stream stays open, as coordination's does
        }

        @Override
        public void getMetadata(MetadataRequest request, StreamObserver<ClusterMetadata> out) {
            try {
                out.onNext(CoordinationGrpc.newBlockingStub(fakeChannel).getMetadata(request));
                out.onCompleted();
            } catch (StatusRuntimeException e) {
                out.onError(e);
            }
        }
    }

    private final class ActiveGroups extends GroupsGrpc.GroupsImplBase {
        @Override
        public void heartbeat(GroupHeartbeatRequest request, StreamObserver<GroupHeartbeatResponse> out) {
            heartbeats.add(request);
            try {
                out.onNext(script.answer(request));
                out.onCompleted();
            } catch (StatusRuntimeException e) {
                out.onError(e);
            }
        }

        @Override
        public void commitOffsets(CommitOffsetsRequest request, StreamObserver<CommitOffsetsResponse> out) {
            synchronized (commits) {
                commits.add(request);
            }
            ErrorCode refusal = commitCheck.apply(request);
            if (refusal != null) {
                out.onError(StrataError.exception(refusal, "refused: " + refusal));
                return;
            }
            for (OffsetCommit c : request.getOffsetsList()) {
                committed.put(new TopicPartition(c.getTopic(), c.getPartition()), c.getOffset());
            }
            out.onNext(CommitOffsetsResponse.getDefaultInstance());
            out.onCompleted();
        }

        @Override
        public void fetchOffsets(FetchOffsetsRequest request, StreamObserver<FetchOffsetsResponse> out) {
            FetchOffsetsResponse.Builder b = FetchOffsetsResponse.newBuilder();
            for (io.strata.proto.v1.TopicPartition tp : request.getPartitionsList()) {
                Long offset = committed.get(new TopicPartition(tp.getTopic(), tp.getPartition()));
                b.addOffsets(OffsetCommit.newBuilder().setTopic(tp.getTopic()).setPartition(tp.getPartition())
                        .setOffset(offset == null ? -1 : offset));
            }
            out.onNext(b.build());
            out.onCompleted();
        }
    }

    private final class StandbyGroups extends GroupsGrpc.GroupsImplBase {
        private void refuse(StreamObserver<?> out) {
            standbyCalls.incrementAndGet();
            Metadata trailers = new Metadata();
            trailers.put(StrataError.LEADER_KEY, address());
            out.onError(StrataError.exception(ErrorCode.NOT_COORDINATOR, "a standby", trailers));
        }

        @Override
        public void heartbeat(GroupHeartbeatRequest request, StreamObserver<GroupHeartbeatResponse> out) {
            refuse(out);
        }

        @Override
        public void commitOffsets(CommitOffsetsRequest request, StreamObserver<CommitOffsetsResponse> out) {
            refuse(out);
        }

        @Override
        public void fetchOffsets(FetchOffsetsRequest request, StreamObserver<FetchOffsetsResponse> out) {
            refuse(out);
        }
    }
}
