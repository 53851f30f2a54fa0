package io.strata.runtime.coordination;

import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.strata.proto.v1.CoordinationGrpc;
import io.strata.proto.v1.QuotaSnapshot;
import io.strata.proto.v1.WatchQuotasRequest;
import io.strata.runtime.HostPort;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Which failures of a watch move the role to the next coordination instance. */
@Timeout(30)
class CoordinationWatchTest {

    /** A coordination instance whose WatchQuotas fails every call with one status. */
    private static final class Failing extends CoordinationGrpc.CoordinationImplBase {
        final AtomicInteger calls = new AtomicInteger();
        final Status status;

        Failing(Status status) {
            this.status = status;
        }

        @Override
        public void watchQuotas(WatchQuotasRequest request, StreamObserver<QuotaSnapshot> responses) {
            calls.incrementAndGet();
            responses.onError(status.asRuntimeException());
        }
    }

    private final List<Server> servers = new ArrayList<>();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private CoordinationChannels channels;
    private CoordinationWatch<QuotaSnapshot> watch;

    private HostPort serve(Failing service) throws IOException {
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(service).build().start();
        servers.add(server);
        return new HostPort("127.0.0.1", server.getPort());
    }

    private void watch(HostPort... endpoints) {
        channels = new CoordinationChannels(List.of(endpoints));
        watch = new CoordinationWatch<>(channels, scheduler, "test quota watch",
                (stub, o) -> stub.watchQuotas(WatchQuotasRequest.getDefaultInstance(), o), q -> { });
        watch.start();
    }

    @AfterEach
    void stop() {
        if (watch != null) {
            watch.close();
            channels.close();
        }
        scheduler.shutdownNow();
        servers.forEach(Server::shutdownNow);
    }

    private static void awaitCalls(AtomicInteger calls, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (calls.get() < n && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(calls.get()).isGreaterThanOrEqualTo(n);
    }

    @Test
    void aWatchThatFailsForAnotherReasonThanUnavailableReopensOnTheSameInstance() throws Exception {
        Failing first = new Failing(Status.UNIMPLEMENTED);
        Failing second = new Failing(Status.UNIMPLEMENTED);
        watch(serve(first), serve(second));

        awaitCalls(first.calls, 2); // failed, reopened a second later on the same instance
        assertThat(second.calls.get()).isZero();
    }

    @Test
    void aWatchThatFailsUnavailableMovesToTheNextInstance() throws Exception {
        Failing first = new Failing(Status.UNAVAILABLE.withDescription("no metadata store"));
        Failing second = new Failing(Status.UNAVAILABLE);
        watch(serve(first), serve(second));

        awaitCalls(second.calls, 1);
        assertThat(first.calls.get()).isEqualTo(1);
    }
}
