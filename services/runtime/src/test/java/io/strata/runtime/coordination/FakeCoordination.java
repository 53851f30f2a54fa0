package io.strata.runtime.coordination;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.strata.proto.v1.CampaignRequest;
import io.strata.proto.v1.CoordinationGrpc;
import io.strata.proto.v1.DescribeTopicRequest;
import io.strata.proto.v1.LeadershipEvent;
import io.strata.proto.v1.ObserveRequest;
import io.strata.proto.v1.ResignRequest;
import io.strata.proto.v1.ResignResponse;
import io.strata.proto.v1.TopicDescription;
import io.strata.runtime.HostPort;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A coordination instance the test scripts, on a real port: records every Campaign stream (so the
 * test elects the candidate, ends or fails the stream, and sees it cancelled), answers Observe with
 * what the test publishes, records Resign, and answers DescribeTopic as {@link #describeTopic} says.
 */
final class FakeCoordination extends CoordinationGrpc.CoordinationImplBase implements AutoCloseable {

    /** One Campaign stream as the server sees it. */
    static final class Campaign {
        final CampaignRequest request;
        final ServerCallStreamObserver<LeadershipEvent> responses;
        volatile boolean cancelled;

        Campaign(CampaignRequest request, ServerCallStreamObserver<LeadershipEvent> responses) {
            this.request = request;
            this.responses = responses;
            responses.setOnCancelHandler(() -> cancelled = true);
        }

        void elect(long term) {
            responses.onNext(LeadershipEvent.newBuilder().setLeaderId(request.getCandidateId()).setTerm(term).build());
        }
    }

    final List<Campaign> campaigns = new CopyOnWriteArrayList<>();
    final List<ResignRequest> resigns = new CopyOnWriteArrayList<>();
    final List<DescribeTopicRequest> describes = new CopyOnWriteArrayList<>();
    private final List<StreamObserver<LeadershipEvent>> observers = new CopyOnWriteArrayList<>();
    volatile BiConsumer<DescribeTopicRequest, StreamObserver<TopicDescription>> describeTopic = (r, o) -> { };
    private final Server server;

    FakeCoordination() throws IOException {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(this).build().start();
    }

    HostPort address() {
        return new HostPort("127.0.0.1", server.getPort());
    }

    /** Tells every observer of the election that {@code leaderId} leads now. */
    void publishLeader(String leaderId, long term) {
        observers.forEach(o -> o.onNext(LeadershipEvent.newBuilder().setLeaderId(leaderId).setTerm(term).build()));
    }

    Campaign campaign(int index) {
        await(() -> campaigns.size() > index);
        return campaigns.get(index);
    }

    @Override
    public void campaign(CampaignRequest request, StreamObserver<LeadershipEvent> responses) {
        campaigns.add(new Campaign(request, (ServerCallStreamObserver<LeadershipEvent>) responses));
    }

    @Override
    public void observe(ObserveRequest request, StreamObserver<LeadershipEvent> responses) {
        observers.add(responses);
    }

    @Override
    public void resign(ResignRequest request, StreamObserver<ResignResponse> responses) {
        resigns.add(request);
        responses.onNext(ResignResponse.getDefaultInstance());
        responses.onCompleted();
    }

    @Override
    public void describeTopic(DescribeTopicRequest request, StreamObserver<TopicDescription> responses) {
        describes.add(request);
        describeTopic.accept(request, responses);
    }

    @Override
    public void close() {
        server.shutdownNow();
    }

    /** Polls {@code condition} for up to 20 s; fails when it stays false. */
    static void await(BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        assertThat(condition.getAsBoolean()).as("condition met within 20 s").isTrue();
    }
}
