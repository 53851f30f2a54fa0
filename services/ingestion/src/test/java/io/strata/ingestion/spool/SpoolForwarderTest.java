package io.strata.ingestion.spool;

import io.grpc.Status;
import io.strata.client.TopicPartition;
import io.strata.client.internal.Backoff;
import io.strata.client.internal.ChannelPool;
import io.strata.client.internal.CoordinationCalls;
import io.strata.client.internal.MetadataCache;
import io.strata.proto.StrataError;
import io.strata.proto.v1.ErrorCode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The forwarder against a fake cluster: what it retries, what it drops, and that it never
 * checkpoints past an entry it could not send.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SpoolForwarderTest {

    private static final TopicPartition EVENTS_0 = new TopicPartition("events", 0);

    @TempDir
    Path dir;

    private FakeCluster cluster;
    private ChannelPool channels;
    private SpoolLog log;
    private SpoolForwarder forwarder;
    private List<SpoolEntryRef> refs;

    @BeforeEach
    void setUp() throws IOException {
        cluster = new FakeCluster();
        cluster.topic("events", 1, Map.of());
        log = SpoolLog.open(dir, 1 << 20, 0, (r, e) -> { });
        // Three batches of 3, 3 and 2 records, sequences 0..7.
        refs = log.append(List.of(SpoolTestData.entry(EVENTS_0, 0, 3, "a"), SpoolTestData.entry(EVENTS_0, 3, 3, "b"),
                SpoolTestData.entry(EVENTS_0, 6, 2, "c")));
        log.flush();
    }

    @AfterEach
    void tearDown() {
        if (forwarder != null) {
            forwarder.close();
        }
        if (channels != null) {
            channels.close(1_000);
        }
        log.close();
        cluster.close();
    }

    /** A forwarder over {@code log} that knows nothing forwarded yet and is handed {@code pending}. */
    private SpoolForwarder start(SpoolLog over, List<SpoolEntryRef> pending) {
        channels = channels != null ? channels : new ChannelPool("spool-test");
        Backoff backoff = new Backoff(5, 50);
        MetadataCache metadata = new MetadataCache(List.of(cluster.address()), channels, 5_000, backoff, Clock.systemUTC());
        CoordinationCalls coordination = new CoordinationCalls(List.of(cluster.address()), channels, 5_000);
        SpoolForwarder f = new SpoolForwarder(over, metadata, channels, coordination, backoff, Clock.systemUTC(),
                "spool-test", List.of(), List.of(), over.nextEntryId());
        f.start();
        f.submit(pending);
        return f;
    }

    @Test
    void failuresThatDoNotRefuseTheBatchItselfAreRetriedUntilItIsWrittenNothingDropped() {
        cluster.failNextProduces(
                Status.CANCELLED.withDescription("the node restarted").asRuntimeException(),
                StrataError.exception(ErrorCode.INTERNAL_ERROR, "a bug on the node"),
                Status.UNKNOWN.asRuntimeException(),
                Status.INTERNAL.asRuntimeException(),
                // One leader's word is not enough: coordination still has the topic.
                StrataError.exception(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "not hosted here yet"),
                StrataError.exception(ErrorCode.CORRUPT_BATCH, "damaged in flight"),
                Status.UNAVAILABLE.asRuntimeException());
        forwarder = start(log, refs);

        await().atMost(Duration.ofSeconds(30)).until(() -> forwarder.forwardedRecords() == 8);
        assertThat(forwarder.droppedRecords()).isZero();
        assertThat(forwarder.pendingRecords()).isZero();
        assertThat(cluster.written()).extracting(FakeCluster.Written::baseSequence).containsExactly(0, 3, 6);
        assertThat(cluster.produceCalls()).isEqualTo(3 + 7);
    }

    @Test
    void aBatchTheLeaderRefusesForGoodIsDroppedAndTheRestGoOutUnderANewProducerId() {
        cluster.failNextProduces(StrataError.exception(ErrorCode.RECORD_TOO_LARGE, "a record above max.message.bytes"));
        forwarder = start(log, refs);

        await().atMost(Duration.ofSeconds(30)).until(() -> forwarder.forwardedRecords() == 5);
        assertThat(forwarder.droppedRecords()).isEqualTo(3);
        assertThat(cluster.written()).extracting(FakeCluster.Written::baseSequence).containsExactly(3, 6);
        assertThat(cluster.written()).allSatisfy(w -> assertThat(w.producerId()).isNotEqualTo(SpoolTestData.ID.producerId()));
    }

    @Test
    void batchesOfATopicCoordinationSaysIsGoneAreDropped() {
        cluster.deleteTopic("events");
        forwarder = start(log, refs);

        await().atMost(Duration.ofSeconds(30)).until(() -> forwarder.droppedRecords() == 8);
        assertThat(cluster.written()).isEmpty();
    }

    @Test
    void aDamagedEntryIsDroppedAndTheOthersForwarded() throws IOException {
        SpoolEntryRef second = refs.get(1);
        try (FileChannel file = FileChannel.open(SpoolSegment.path(dir, second.segmentBase()), StandardOpenOption.WRITE)) {
            file.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4}), second.position() + SpoolSegment.FRAME_OVERHEAD + 20);
        }
        forwarder = start(log, refs);

        await().atMost(Duration.ofSeconds(30)).until(() -> forwarder.forwardedRecords() == 5);
        assertThat(forwarder.droppedRecords()).isEqualTo(3);
        assertThat(cluster.written()).extracting(FakeCluster.Written::baseSequence).containsExactly(0, 6);
    }

    @Test
    void anEntryThatCannotBeReadForAnotherReasonIsKeptAndNotCheckpointedPastThenForwardedAfterARestart()
            throws Exception {
        log.close(); // as when the files close under the forwarder at shutdown: ClosedChannelException, not damage
        forwarder = start(log, refs);
        Thread.sleep(500);
        assertThat(forwarder.droppedRecords()).isZero();
        assertThat(forwarder.pendingRecords()).isEqualTo(8);
        assertThat(cluster.produceCalls()).isZero();
        forwarder.close();
        forwarder = null;
        assertThat(SpoolCheckpoint.read(dir).values()).allSatisfy(p -> assertThat(p.nextEntryId()).isZero());

        // Everything is still there for the next start.
        List<SpoolEntryRef> recovered = new ArrayList<>();
        log = SpoolLog.open(dir, 1 << 20, 0, (r, e) -> recovered.add(r));
        assertThat(recovered).containsExactlyElementsOf(refs);
        forwarder = start(log, recovered);
        await().atMost(Duration.ofSeconds(30)).until(() -> forwarder.forwardedRecords() == 8);
        assertThat(cluster.written()).extracting(FakeCluster.Written::baseSequence).containsExactly(0, 3, 6);
    }
}
