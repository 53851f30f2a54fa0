package io.strata.storage.node;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.strata.proto.StrataError;
import io.strata.proto.v1.AlterIsrRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.LeadershipEvent;
import io.strata.proto.v1.PartitionState;
import io.strata.proto.v1.ReplicationGrpc;
import io.strata.runtime.HostPort;
import io.strata.storage.partition.IsrChangeSender;
import org.jboss.logging.Logger;

import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * This node's way to the active replication controller: coordination's election "replication"
 * names it (its candidate id is its "host:port"), {@link #onLeadership} follows the election, and
 * ISR changes go there.
 */
public final class ControllerClient implements IsrChangeSender, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ControllerClient.class);
    static final long CALL_DEADLINE_MS = 5000;

    private record Target(String address, ManagedChannel channel) {
    }

    private volatile Target target;
    private volatile boolean closed;

    /** The election's current leader (empty = none). */
    public synchronized void onLeadership(LeadershipEvent event) {
        String address = event.getLeaderId();
        Target old = target;
        if (old != null && old.address().equals(address)) {
            return;
        }
        Target next = null;
        if (!address.isEmpty() && !closed) {
            try {
                HostPort hp = HostPort.parse(address);
                next = new Target(address, NettyChannelBuilder.forAddress(hp.host(), hp.port()).usePlaintext().build());
            } catch (IllegalArgumentException e) {
                LOG.warnf("the replication election names '%s', which is not host:port; ISR changes wait", address);
            }
        }
        target = next;
        if (old != null) {
            old.channel().shutdown();
        }
        LOG.infof("active replication controller: %s", address.isEmpty() ? "none" : address);
    }

    @Override
    public void alterIsr(AlterIsrRequest request, Consumer<PartitionState> onApplied, Consumer<Throwable> onFailed) {
        Target t = target;
        if (t == null) {
            onFailed.accept(StrataError.exception(ErrorCode.NOT_CONTROLLER, "no active replication controller is known"));
            return;
        }
        ReplicationGrpc.newStub(t.channel()).withDeadlineAfter(CALL_DEADLINE_MS, TimeUnit.MILLISECONDS)
                .alterIsr(request, new StreamObserver<>() {
                    @Override
                    public void onNext(PartitionState state) {
                        onApplied.accept(state);
                    }

                    @Override
                    public void onError(Throwable failure) {
                        onFailed.accept(failure);
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
    }

    @Override
    public synchronized void close() {
        closed = true;
        Target t = target;
        target = null;
        if (t != null) {
            t.channel().shutdownNow();
        }
    }
}
