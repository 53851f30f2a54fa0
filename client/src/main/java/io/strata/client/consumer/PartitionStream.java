package io.strata.client.consumer;

import io.grpc.ClientCall;
import io.strata.client.internal.Address;
import io.strata.client.internal.ClusterSnapshot;
import io.strata.proto.LeasedMessage;
import io.strata.proto.v1.FetchRequest;
import io.strata.proto.v1.FetchResponse;

/**
 * One partition's open FetchStream: the leader pushes the partition's batches from the offset it
 * was opened at, one message per {@link #requestNext()} (the consumer asks for the next answer when
 * the partition's buffer is empty, as it sent the next unary fetch; the answer is usually on its
 * way already, without a request's round trip and per-call overhead).
 */
final class PartitionStream {

    private final ClientCall<FetchRequest, LeasedMessage<FetchResponse>> call;
    private final Address node;
    private final int leaderEpoch;

    PartitionStream(ClientCall<FetchRequest, LeasedMessage<FetchResponse>> call, Address node, int leaderEpoch) {
        this.call = call;
        this.node = node;
        this.leaderEpoch = leaderEpoch;
    }

    /** Whether the stream reads from {@code leader} (the node and epoch the metadata now names). */
    boolean readsFrom(ClusterSnapshot.Leader leader) {
        return leader.epoch() == leaderEpoch && leader.address().equals(node);
    }

    void requestNext() {
        call.request(1);
    }

    void cancel(String why) {
        call.cancel(why, null);
    }
}
