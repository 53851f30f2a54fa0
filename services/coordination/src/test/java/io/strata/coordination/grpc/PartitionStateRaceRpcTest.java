package io.strata.coordination.grpc;

import io.grpc.StatusRuntimeException;
import io.strata.coordination.store.EtcdMetadataStore;
import io.strata.coordination.testing.EtcdExtension;
import io.strata.proto.v1.CreateTopicRequest;
import io.strata.proto.v1.DescribeTopicRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.PartitionState;
import io.strata.proto.v1.UpdatePartitionStateRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.strata.coordination.grpc.CoordinationTestServer.assertStrataError;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * UpdatePartitionState is a compare-and-set on the partition epoch under real concurrency: in
 * each round several clients send an update with the same expected epoch at the same moment;
 * exactly one wins, every other one gets CAS_FAILED (ABORTED, naming the expected epoch), and
 * the stored state is the winner's. On the embedded store behind one instance, and on etcd
 * behind two instances, each with its own etcd client, the clients split between them.
 */
@Timeout(60)
class PartitionStateRaceRpcTest {

    @RegisterExtension
    static final EtcdExtension ETCD = new EtcdExtension();

    private static final int CONTENDERS = 4;
    private static final int ROUNDS = 25;

    @TempDir
    Path dir;

    private final List<CoordinationTestServer> instances = new ArrayList<>();
    private final List<SessionClient> nodes = new ArrayList<>();
    private final ExecutorService clients = Executors.newFixedThreadPool(CONTENDERS);

    @AfterEach
    void stop() throws Exception {
        clients.shutdownNow();
        nodes.forEach(SessionClient::complete);
        nodes.forEach(SessionClient::awaitEnd);
        for (CoordinationTestServer instance : instances) {
            instance.close();
        }
    }

    @Test
    void onTheEmbeddedStoreExactlyOneOfTheRacingUpdatesWinsEachRound() throws Exception {
        instances.add(new CoordinationTestServer(dir));

        race();
    }

    @Test
    void onEtcdExactlyOneOfTheRacingUpdatesWinsEachRoundAcrossTwoCoordinationInstances() throws Exception {
        String root = EtcdExtension.newRoot();
        for (int i = 0; i < 2; i++) {
            EtcdMetadataStore store = EtcdMetadataStore.builder(ETCD.endpoints()).root(root).requestTimeout(Duration.ofSeconds(5)).open();
            instances.add(new CoordinationTestServer(store, Map.of()));
        }

        race();
    }

    private void race() throws Exception {
        CoordinationTestServer first = instances.get(0);
        for (int id = 1; id <= 3; id++) {
            nodes.add(first.liveStorageNode(id));
        }
        PartitionState current = first.blocking().createTopic(CreateTopicRequest.newBuilder().setName("race").setPartitions(1)
                .setReplicationFactor(3).build()).getPartitions(0);
        int startEpoch = current.getPartitionEpoch();

        for (int round = 0; round < ROUNDS; round++) {
            int expected = current.getPartitionEpoch();
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Outcome>> outcomes = new ArrayList<>();
            for (int c = 0; c < CONTENDERS; c++) {
                // Each contender claims its own leader epoch, so the stored state tells who won.
                PartitionState wanted = current.toBuilder().setLeaderEpoch(current.getLeaderEpoch() + 1 + c).build();
                CoordinationTestServer via = instances.get(c % instances.size());
                outcomes.add(clients.submit(() -> {
                    go.await();
                    return update(via, wanted, expected);
                }));
            }
            go.countDown();
            List<Outcome> results = new ArrayList<>();
            for (Future<Outcome> outcome : outcomes) {
                results.add(outcome.get(20, TimeUnit.SECONDS));
            }

            List<Outcome> winners = results.stream().filter(o -> o.stored() != null).toList();
            assertThat(winners).as("round %d: winners", round).hasSize(1);
            PartitionState won = winners.get(0).stored();
            assertThat(won.getPartitionEpoch()).isEqualTo(expected + 1);
            results.stream().filter(o -> o.error() != null).forEach(o ->
                    assertStrataError(o.error(), ErrorCode.CAS_FAILED, "not the expected " + expected));
            PartitionState stored = instances.get(instances.size() - 1).blocking()
                    .describeTopic(DescribeTopicRequest.newBuilder().setName("race").build()).getPartitions(0);
            assertThat(stored).as("round %d: the stored state is the winner's", round).isEqualTo(won);
            current = stored;
        }
        assertThat(current.getPartitionEpoch()).isEqualTo(startEpoch + ROUNDS);
    }

    private static Outcome update(CoordinationTestServer via, PartitionState wanted, int expected) {
        try {
            return new Outcome(via.blocking().updatePartitionState(UpdatePartitionStateRequest.newBuilder().setState(wanted)
                    .setExpectedPartitionEpoch(expected).build()), null);
        } catch (StatusRuntimeException e) {
            return new Outcome(null, e);
        }
    }

    /** One contender's result: the state it stored, or its error. */
    private record Outcome(PartitionState stored, StatusRuntimeException error) {
    }
}
