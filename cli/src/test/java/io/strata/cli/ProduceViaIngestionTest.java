package io.strata.cli;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.strata.proto.v1.ClusterMetadata;
import io.strata.proto.v1.CoordinationGrpc;
import io.strata.proto.v1.DescribeTopicRequest;
import io.strata.proto.v1.IngestionGrpc;
import io.strata.proto.v1.MetadataRequest;
import io.strata.proto.v1.PartitionState;
import io.strata.proto.v1.PublishRequest;
import io.strata.proto.v1.PublishResponse;
import io.strata.proto.v1.PublishResult;
import io.strata.proto.v1.TopicDescription;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedWriter;
import java.io.ByteArrayOutputStream;
import java.io.OutputStreamWriter;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code strata produce --via ingestion} as a long-running producer fed line by line: against a
 * fake coordination + ingestion on one port, it publishes each line without waiting for the
 * next, prints each acknowledgement at once, and a request that fails as a whole fails only its
 * own lines.
 */
@Timeout(30)
class ProduceViaIngestionTest {

    private Server server;
    private int port;
    /** How many more GetMetadata answers list no ingestion instance (as while the only one is down). */
    private final AtomicInteger answersWithoutIngestion = new AtomicInteger();
    private final BlockingQueue<PublishRequest> publishes = new LinkedBlockingQueue<>();
    private final AtomicLong nextOffset = new AtomicLong();

    @BeforeEach
    void start() throws Exception {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new CoordinationGrpc.CoordinationImplBase() {
                    @Override
                    public void describeTopic(DescribeTopicRequest request, StreamObserver<TopicDescription> response) {
                        response.onNext(TopicDescription.newBuilder().setName(request.getName()).setTopicId("id")
                                .addPartitions(PartitionState.newBuilder().setTopic(request.getName()).setPartition(0)
                                        .setLeader(1).addReplicas(1).addIsr(1))
                                .build());
                        response.onCompleted();
                    }

                    @Override
                    public void getMetadata(MetadataRequest request, StreamObserver<ClusterMetadata> response) {
                        ClusterMetadata.Builder md = ClusterMetadata.newBuilder().setClusterId("fake");
                        if (answersWithoutIngestion.getAndUpdate(n -> Math.max(0, n - 1)) == 0) {
                            md.addIngestionEndpoints("127.0.0.1:" + port);
                        }
                        response.onNext(md.build());
                        response.onCompleted();
                    }
                })
                .addService(new IngestionGrpc.IngestionImplBase() {
                    @Override
                    public void publish(PublishRequest request, StreamObserver<PublishResponse> response) {
                        publishes.add(request);
                        PublishResponse.Builder answer = PublishResponse.newBuilder();
                        request.getRecordsList().forEach(r -> answer.addResults(
                                PublishResult.newBuilder().setPartition(0).setOffset(nextOffset.getAndIncrement())));
                        response.onNext(answer.build());
                        response.onCompleted();
                    }
                })
                .build().start();
        port = server.getPort();
    }

    @AfterEach
    void stop() throws Exception {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    @Test
    void eachLineIsPublishedAndPrintedAtOnceAndARequestThatFailsWholeFailsOnlyItsLines() throws Exception {
        answersWithoutIngestion.set(1);
        PipedOutputStream feed = new PipedOutputStream();
        PipedInputStream stdin = new PipedInputStream(feed);
        // Buffered as bin/strata's stdout is: what is not flushed is not seen.
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        PrintWriter out = new PrintWriter(new BufferedWriter(new OutputStreamWriter(stdout, StandardCharsets.UTF_8), 1 << 16));
        StringWriter stderr = new StringWriter();
        PrintWriter err = new PrintWriter(stderr, true);
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> new StrataCli(Map.of(), stdin).execute(
                new String[] {"--bootstrap", "127.0.0.1:" + port, "produce", "events", "--via", "ingestion",
                        "--output", "json", "--key-separator", ":"}, out, err));

        feed.write("k:first\n".getBytes(StandardCharsets.UTF_8));
        feed.flush();
        // No instance is registered for the first request: its line fails, the command goes on.
        awaitTrue(() -> stderr.toString().contains("Error: line 1: no ingestion instance is registered"),
                () -> "line 1 reported failed before line 2 is written; stderr: " + stderr);
        assertThat(exit).isNotDone();

        feed.write("k:second\n".getBytes(StandardCharsets.UTF_8));
        feed.flush();
        PublishRequest published = publishes.poll(10, TimeUnit.SECONDS);
        assertThat(published).as("line 2 published while stdin is still open").isNotNull();
        assertThat(published.getRecordsList()).singleElement()
                .satisfies(r -> assertThat(r.getValue().toStringUtf8()).isEqualTo("second"));
        awaitTrue(() -> stdout.toString(StandardCharsets.UTF_8)
                        .equals("{\"partition\":0,\"offset\":0,\"key\":\"k\",\"value\":\"second\"}\n"),
                () -> "line 2's acknowledgement printed before stdin closes; stdout: " + stdout);

        feed.close();
        assertThat(exit.get(10, TimeUnit.SECONDS)).isEqualTo(1);
        assertThat(stderr.toString()).endsWith("Error: 1 of 2 records failed" + System.lineSeparator());
        assertThat(publishes).isEmpty();
    }

    private static void awaitTrue(Supplier<Boolean> condition, Supplier<String> what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.get()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 10 s: " + what.get());
            }
            Thread.sleep(10);
        }
    }
}
