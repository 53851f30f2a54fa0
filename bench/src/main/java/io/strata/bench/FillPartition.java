package io.strata.bench;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.strata.proto.v1.Acks;
import io.strata.proto.v1.ProduceRequest;
import io.strata.proto.v1.StorageGrpc;

import java.nio.ByteBuffer;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Fills partition 0 of a topic with N GiB through the Storage gRPC API (1 KiB records in
 * 1 MiB batches, 8 requests in flight), for the restart-time benchmark.
 * Usage: {@code FillPartition HOST:PORT TOPIC GIB}
 */
public final class FillPartition {

    private FillPartition() {
    }

    public static void main(String[] args) throws Exception {
        String[] hostPort = args[0].split(":");
        String topic = args[1];
        long bytes = (long) (Double.parseDouble(args[2]) * 1024 * 1024 * 1024);
        ManagedChannel channel = NettyChannelBuilder.forAddress(hostPort[0], Integer.parseInt(hostPort[1])).usePlaintext()
                .maxInboundMessageSize(64 * 1024 * 1024).flowControlWindow(8 * 1024 * 1024).build();
        StorageGrpc.StorageFutureStub storage = StorageGrpc.newFutureStub(channel);
        ByteBuffer batch = BenchBatches.batch(1000, 1024, System.currentTimeMillis());
        ByteString payload = UnsafeByteOperations.unsafeWrap(batch);
        Semaphore inFlight = new Semaphore(8);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long sent = 0;
        long start = System.nanoTime();
        while (sent < bytes && failure.get() == null) {
            inFlight.acquire();
            var f = storage.produce(ProduceRequest.newBuilder().setTopic(topic).setPartition(0).setAcks(Acks.ACKS_LEADER)
                    .setBatches(payload).build());
            f.addListener(() -> {
                try {
                    f.get();
                } catch (Exception e) {
                    failure.compareAndSet(null, e);
                }
                inFlight.release();
            }, Runnable::run);
            sent += payload.size();
        }
        inFlight.acquire(8);
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        if (failure.get() != null) {
            throw new IllegalStateException("produce failed", failure.get());
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("filled %s-0 with %.2f GiB in %.1f s (%.0f MiB/s)%n", topic, sent / 1073741824.0, seconds,
                sent / 1048576.0 / seconds);
    }
}
