package io.strata.tests;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.strata.proto.StrataError;
import io.strata.proto.v1.Acks;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.ProduceRequest;
import io.strata.proto.v1.StorageGrpc;
import io.strata.records.Compression;
import io.strata.records.RecordBatchBuilder;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The answer of one acks=all produce request sent straight to a storage node, whatever it leads
 * or hosts: a batch of one record, not idempotent, with a 3 s {@code timeout_ms}. Should one be
 * written, the history check reports it: no producer sent its value.
 */
record ProduceProbe(String value, boolean acknowledged, ErrorCode reason, String detail) {

    /** Sends {@code value} to {@code node} and returns its answer; a refusal is an answer, not an exception. */
    static ProduceProbe send(LocalClusterDir cluster, int node, String topic, int partition, String clientId, String value) {
        ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", cluster.grpcPort("storage", node)).usePlaintext().build();
        try {
            RecordBatchBuilder batch = new RecordBatchBuilder(Compression.NONE, 256);
            batch.append(System.currentTimeMillis(), "probe".getBytes(StandardCharsets.UTF_8),
                    value.getBytes(StandardCharsets.UTF_8), List.of());
            ProduceRequest request = ProduceRequest.newBuilder().setTopic(topic).setPartition(partition)
                    .setAcks(Acks.ACKS_ALL).setTimeoutMs(3000).setClientId(clientId)
                    .setBatches(ByteString.copyFrom(batch.build())).build();
            long offset = StorageGrpc.newBlockingStub(ch).withDeadlineAfter(15, TimeUnit.SECONDS).produce(request).getBaseOffset();
            return new ProduceProbe(value, true, null, "at offset " + offset);
        } catch (StatusRuntimeException e) {
            return new ProduceProbe(value, false, StrataError.reasonOf(e).orElse(null), e.getStatus().toString());
        } finally {
            ch.shutdownNow();
        }
    }

    @Override
    public String toString() {
        return value + ": " + (acknowledged ? "acknowledged, " : reason + ", ") + detail;
    }
}
