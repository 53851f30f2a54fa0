package io.strata.coordination.topics;

import io.strata.coordination.CoordinationException;
import io.strata.coordination.layout.Keys;
import io.strata.coordination.store.EmbeddedMetadataStore;
import io.strata.coordination.store.Lease;
import io.strata.coordination.store.MetadataStore;
import io.strata.coordination.store.Op;
import io.strata.runtime.testing.MutableClock;
import io.strata.proto.TopicConfigs;
import io.strata.proto.v1.AlterTopicConfigRequest;
import io.strata.proto.v1.CreateTopicRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.NodeRecord;
import io.strata.proto.v1.NodeRole;
import io.strata.proto.v1.PartitionState;
import io.strata.proto.v1.TopicDescription;
import io.strata.proto.v1.TopicSummary;
import io.strata.proto.v1.UpdatePartitionStateRequest;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Topic rules on the domain class alone (no gRPC), on a real embedded store. */
@Timeout(30)
class TopicServiceTest {

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock();
    private MetadataStore store;
    private TopicService topics;

    @BeforeEach
    void setUp() {
        store = EmbeddedMetadataStore.builder(dir).clock(clock).open();
        topics = new TopicService(store, new TopicDefaults(3, 2, Map.of(TopicConfigs.RETENTION_MS, "3600000")),
                new RoundRobinPlacement(new Random(1)), clock);
    }

    @AfterEach
    void tearDown() {
        store.close();
    }

    private void liveStorageNodes(int... ids) {
        Lease lease = store.grantLease(Duration.ofMinutes(10));
        for (int id : ids) {
            NodeRecord node = NodeRecord.newBuilder().setRole(NodeRole.STORAGE).setNodeId(id).setInstanceId("i-" + id)
                    .setHost("h" + id).setPort(9000 + id).setReady(true).build();
            store.txn(List.of(), List.of(Op.put(Keys.node(NodeRole.STORAGE, Integer.toString(id)), node.toByteArray(), lease.id())));
        }
    }

    private static CreateTopicRequest.Builder create(String name) {
        return CreateTopicRequest.newBuilder().setName(name);
    }

    private static void assertFails(ThrowingCallable call, ErrorCode code, String messagePart) {
        assertThatThrownBy(call).isInstanceOfSatisfying(CoordinationException.class, e -> {
            assertThat(e.code()).isEqualTo(code);
            assertThat(e.getMessage()).contains(messagePart);
        });
    }

    // ---- create ----

    @Test
    void zeroPartitionsAndReplicationFactorTakeTheClusterDefaults() {
        liveStorageNodes(1, 2, 3);

        TopicDescription topic = topics.create(create("orders").build());

        assertThat(topic.getPartitionsList()).hasSize(3);
        assertThat(topic.getPartitionsList()).allSatisfy(p -> assertThat(p.getReplicasList()).hasSize(2));
        assertThat(topics.list()).containsExactly(TopicSummary.newBuilder().setName("orders").setTopicId(topic.getTopicId())
                .setPartitions(3).setReplicationFactor(2).build());
    }

    @Test
    void aNewPartitionIsLedByItsFirstReplicaWithTheFullIsrAtEpochZero() {
        liveStorageNodes(1, 2, 3);

        TopicDescription topic = topics.create(create("orders").setPartitions(6).setReplicationFactor(3).build());

        assertThat(topic.getTopicId()).isNotEmpty();
        for (PartitionState p : topic.getPartitionsList()) {
            assertThat(p.getTopic()).isEqualTo("orders");
            assertThat(p.getReplicasList()).containsExactlyInAnyOrder(1, 2, 3);
            assertThat(p.getLeader()).isEqualTo(p.getReplicas(0));
            assertThat(p.getIsrList()).isEqualTo(p.getReplicasList());
            assertThat(p.getLeaderEpoch()).isZero();
            assertThat(p.getPartitionEpoch()).isZero();
        }
        assertThat(topic.getPartitionsList()).extracting(PartitionState::getPartition).containsExactly(0, 1, 2, 3, 4, 5);
        assertThat(topic.getPartitionsList()).extracting(PartitionState::getLeader).containsOnly(1, 2, 3);
        assertThat(topics.describe("orders")).isEqualTo(topic);
    }

    @Test
    void eachPartitionIsItsOwnKeyBesideTheTopicRecord() {
        liveStorageNodes(1);

        topics.create(create("orders").setPartitions(2).setReplicationFactor(1).build());

        assertThat(store.get(Keys.topic("orders"))).isPresent();
        assertThat(store.getPrefix(Keys.partitionsOf("orders")).kvs()).extracting(kv -> kv.key())
                .containsExactly("partitions/orders/0", "partitions/orders/1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "..", "has space", "slash/inside", "ümlaut"})
    void anInvalidNameFailsAsInvalidTopic(String name) {
        liveStorageNodes(1);
        assertFails(() -> topics.create(create(name).build()), ErrorCode.INVALID_TOPIC, "topic name");
    }

    @Test
    void aNameLongerThan249CharactersFailsAsInvalidTopic() {
        assertFails(() -> topics.create(create("x".repeat(250)).build()), ErrorCode.INVALID_TOPIC, "249");
    }

    @Test
    void negativeOrTooManyPartitionsFailAsInvalidPartitions() {
        liveStorageNodes(1);
        assertFails(() -> topics.create(create("t").setPartitions(-1).build()), ErrorCode.INVALID_PARTITIONS, "got -1");
        assertFails(() -> topics.create(create("t").setPartitions(TopicService.MAX_PARTITIONS + 1).build()),
                ErrorCode.INVALID_PARTITIONS, "partitions must be in");
    }

    @Test
    void aNegativeReplicationFactorFailsAsInvalidReplicationFactor() {
        liveStorageNodes(1);
        assertFails(() -> topics.create(create("t").setReplicationFactor(-2).build()), ErrorCode.INVALID_REPLICATION_FACTOR, "got -2");
    }

    @Test
    void aReplicationFactorAboveTheLiveStorageNodesNamesBoth() {
        liveStorageNodes(1, 2, 3);
        assertFails(() -> topics.create(create("t").setReplicationFactor(4).build()), ErrorCode.INVALID_REPLICATION_FACTOR,
                "requested 4, live storage nodes 3");
    }

    // ---- replication defaults: min(3, live nodes) without a configured default; min.insync.replicas=2 from 3 replicas ----

    private TopicService withDefaults(java.util.OptionalInt replicationFactor, Map<String, String> clusterConfigs) {
        return new TopicService(store, new TopicDefaults(1, replicationFactor, clusterConfigs), new RoundRobinPlacement(new Random(1)), clock);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 5})
    void withoutAConfiguredDefaultTheReplicationFactorIsMinOfThreeAndTheLiveNodes(int nodes) {
        liveStorageNodes(java.util.stream.IntStream.rangeClosed(1, nodes).toArray());
        TopicService auto = withDefaults(java.util.OptionalInt.empty(), Map.of());

        TopicDescription topic = auto.create(create("t").setPartitions(4).build());

        int expected = Math.min(3, nodes);
        assertThat(topic.getPartitionsList()).allSatisfy(p -> assertThat(p.getReplicasList()).hasSize(expected));
        assertThat(auto.list().getFirst().getReplicationFactor()).isEqualTo(expected);
        if (expected >= 3) {
            assertThat(topic.getOverridesMap()).containsExactly(Map.entry(TopicConfigs.MIN_INSYNC_REPLICAS, "2"));
        } else {
            assertThat(topic.getOverridesMap()).doesNotContainKey(TopicConfigs.MIN_INSYNC_REPLICAS);
            assertThat(topic.getConfigsMap()).containsEntry(TopicConfigs.MIN_INSYNC_REPLICAS, "1");
        }
    }

    @Test
    void aConfiguredDefaultReplicationFactorIsUsedAsIs() {
        liveStorageNodes(1, 2, 3, 4, 5);
        TopicService one = withDefaults(java.util.OptionalInt.of(1), Map.of());

        TopicDescription topic = one.create(create("t").setPartitions(2).build());

        assertThat(topic.getPartitionsList()).allSatisfy(p -> assertThat(p.getReplicasList()).hasSize(1));
        assertThat(topic.getOverridesMap()).isEmpty();
        TopicService five = withDefaults(java.util.OptionalInt.of(5), Map.of());
        assertThat(five.create(create("u").build()).getPartitions(0).getReplicasList()).hasSize(5);
        assertFails(() -> withDefaults(java.util.OptionalInt.of(6), Map.of()).create(create("v").build()),
                ErrorCode.INVALID_REPLICATION_FACTOR, "requested 6, live storage nodes 5");
    }

    @Test
    void threeOrMoreReplicasGetMinInsyncTwoUnlessTheRequestOrTheClusterDefaultSaysOtherwise() {
        liveStorageNodes(1, 2, 3, 4);
        TopicService auto = withDefaults(java.util.OptionalInt.empty(), Map.of());

        // An explicit replication factor of 3 or more gets it too; below 3 it does not.
        assertThat(auto.create(create("rf4").setReplicationFactor(4).build()).getOverridesMap())
                .containsEntry(TopicConfigs.MIN_INSYNC_REPLICAS, "2");
        assertThat(auto.describe("rf4").getConfigsMap()).containsEntry(TopicConfigs.MIN_INSYNC_REPLICAS, "2");
        assertThat(auto.create(create("rf2").setReplicationFactor(2).build()).getOverridesMap()).isEmpty();
        // The request's own value wins, even 1.
        assertThat(auto.create(create("own").putConfigs(TopicConfigs.MIN_INSYNC_REPLICAS, "1").build()).getOverridesMap())
                .containsExactly(Map.entry(TopicConfigs.MIN_INSYNC_REPLICAS, "1"));
        // A cluster default of 2 or more is left to apply: no override.
        TopicService strict = withDefaults(java.util.OptionalInt.empty(), Map.of(TopicConfigs.MIN_INSYNC_REPLICAS, "2"));
        TopicDescription t = strict.create(create("strict").build());
        assertThat(t.getOverridesMap()).isEmpty();
        assertThat(t.getConfigsMap()).containsEntry(TopicConfigs.MIN_INSYNC_REPLICAS, "2");
    }

    @Test
    void validateOnlyPreviewsTheChosenReplicationFactorAndOverrides() {
        liveStorageNodes(1, 2, 3);
        TopicService auto = withDefaults(java.util.OptionalInt.empty(), Map.of());

        TopicDescription preview = auto.create(create("t").setValidateOnly(true).build());

        assertThat(preview.getPartitions(0).getReplicasList()).hasSize(3);
        assertThat(preview.getOverridesMap()).containsEntry(TopicConfigs.MIN_INSYNC_REPLICAS, "2");
        assertThat(auto.list()).isEmpty();
    }

    @Test
    void anUnknownConfigKeyFailsAsInvalidConfig() {
        liveStorageNodes(1);
        assertFails(() -> topics.create(create("t").putConfigs("retention.minutes", "5").build()), ErrorCode.INVALID_CONFIG,
                "unknown topic config 'retention.minutes'");
    }

    @Test
    void aBadConfigValueFailsAsInvalidConfig() {
        liveStorageNodes(1);
        assertFails(() -> topics.create(create("t").putConfigs("segment.bytes", "12").build()), ErrorCode.INVALID_CONFIG,
                "segment.bytes");
    }

    @Test
    void creatingAnExistingTopicFailsAsTopicAlreadyExists() {
        liveStorageNodes(1);
        topics.create(create("t").setReplicationFactor(1).build());

        assertFails(() -> topics.create(create("t").setReplicationFactor(1).build()), ErrorCode.TOPIC_ALREADY_EXISTS, "already exists");
    }

    @Test
    void withoutLiveStorageNodesCreationFailsAsNotEnoughNodes() {
        assertFails(() -> topics.create(create("t").build()), ErrorCode.NOT_ENOUGH_NODES, "no storage node is live");
    }

    @Test
    void validateOnlyChecksEverythingAndCreatesNothing() {
        liveStorageNodes(1, 2);

        TopicDescription preview = topics.create(create("t").setPartitions(4).setValidateOnly(true).build());

        assertThat(preview.getPartitionsList()).hasSize(4);
        assertThat(topics.list()).isEmpty();
        assertThat(store.getPrefix(Keys.PARTITIONS).kvs()).isEmpty();
        assertFails(() -> topics.create(create("t").setReplicationFactor(3).setValidateOnly(true).build()),
                ErrorCode.INVALID_REPLICATION_FACTOR, "requested 3");
    }

    @Test
    void aTopicWithMorePartitionsThanOneTransactionHoldsIsWrittenInChunks() {
        liveStorageNodes(1, 2, 3);

        topics.create(create("big").setPartitions(300).setReplicationFactor(2).build());

        TopicDescription big = topics.describe("big");
        assertThat(big.getPartitionsList()).extracting(PartitionState::getPartition)
                .containsExactlyElementsOf(java.util.stream.IntStream.range(0, 300).boxed().toList());
        assertThat(store.getPrefix(Keys.partitionsOf("big")).kvs()).hasSize(300);
    }

    // ---- read, list, delete ----

    @Test
    void listIsSortedByName() {
        liveStorageNodes(1);
        for (String name : List.of("zeta", "alpha", "mid")) {
            topics.create(create(name).setReplicationFactor(1).build());
        }

        assertThat(topics.list()).extracting(TopicSummary::getName).containsExactly("alpha", "mid", "zeta");
    }

    @Test
    void describeShowsEffectiveConfigsWithClusterDefaultsAndOnlyTheOverridesSet() {
        liveStorageNodes(1);
        topics.create(create("t").setReplicationFactor(1).putConfigs("segment.bytes", "2097152").build());

        TopicDescription topic = topics.describe("t");

        assertThat(topic.getOverridesMap()).containsExactly(Map.entry("segment.bytes", "2097152"));
        assertThat(topic.getConfigsMap()).containsEntry("segment.bytes", "2097152")
                .containsEntry("retention.ms", "3600000")
                .containsEntry("cleanup.policy", "delete")
                .containsOnlyKeys(TopicConfigs.keys());
    }

    @Test
    void describeOfATopicDoesNotMixInATopicWhoseNameExtendsIt() {
        liveStorageNodes(1);
        topics.create(create("t").setPartitions(1).setReplicationFactor(1).build());
        topics.create(create("t2").setPartitions(5).setReplicationFactor(1).build());

        assertThat(topics.describe("t").getPartitionsList()).hasSize(1);
    }

    @Test
    void describeDeleteAndAlterOfAnUnknownTopicFailAsUnknownTopic() {
        assertFails(() -> topics.describe("nope"), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "'nope' does not exist");
        assertFails(() -> topics.delete("nope"), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "'nope' does not exist");
        assertFails(() -> topics.alterConfig(AlterTopicConfigRequest.newBuilder().setName("nope").putSet("retention.ms", "1").build()),
                ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "'nope' does not exist");
    }

    @Test
    void deleteRemovesTheTopicAndAllItsPartitionsButNoOtherTopic() {
        liveStorageNodes(1);
        String id = topics.create(create("t").setPartitions(3).setReplicationFactor(1).build()).getTopicId();
        topics.create(create("t2").setPartitions(2).setReplicationFactor(1).build());

        assertThat(topics.delete("t")).isEqualTo(id);

        assertThat(topics.list()).extracting(TopicSummary::getName).containsExactly("t2");
        assertThat(store.getPrefix(Keys.PARTITIONS).kvs()).extracting(kv -> kv.key())
                .containsExactly("partitions/t2/0", "partitions/t2/1");
    }

    @Test
    void aDeletedTopicCanBeCreatedAgainWithANewId() {
        liveStorageNodes(1);
        String first = topics.create(create("t").setReplicationFactor(1).build()).getTopicId();
        topics.delete("t");

        String second = topics.create(create("t").setReplicationFactor(1).build()).getTopicId();

        assertThat(second).isNotEqualTo(first);
    }

    // ---- alter config ----

    @Test
    void alterSetsAndRemovesOverrides() {
        liveStorageNodes(1);
        topics.create(create("t").setReplicationFactor(1).putConfigs("retention.ms", "1000").putConfigs("segment.ms", "5000").build());

        TopicDescription altered = topics.alterConfig(AlterTopicConfigRequest.newBuilder().setName("t")
                .putSet("max.message.bytes", "2048").addDelete("retention.ms").build());

        assertThat(altered.getOverridesMap()).containsOnly(Map.entry("segment.ms", "5000"), Map.entry("max.message.bytes", "2048"));
        assertThat(altered.getConfigsMap()).containsEntry("retention.ms", "3600000");
        assertThat(topics.describe("t")).isEqualTo(altered);
    }

    @Test
    void alterWithAnUnknownOrBadConfigFailsAsInvalidConfigAndChangesNothing() {
        liveStorageNodes(1);
        topics.create(create("t").setReplicationFactor(1).build());

        assertFails(() -> topics.alterConfig(AlterTopicConfigRequest.newBuilder().setName("t").putSet("nope", "1").build()),
                ErrorCode.INVALID_CONFIG, "unknown topic config 'nope'");
        assertFails(() -> topics.alterConfig(AlterTopicConfigRequest.newBuilder().setName("t").putSet("min.insync.replicas", "0").build()),
                ErrorCode.INVALID_CONFIG, "min.insync.replicas");
        assertFails(() -> topics.alterConfig(AlterTopicConfigRequest.newBuilder().setName("t").addDelete("nope").build()),
                ErrorCode.INVALID_CONFIG, "unknown topic config 'nope'");
        assertThat(topics.describe("t").getOverridesMap()).isEmpty();
    }

    // ---- partition state ----

    private UpdatePartitionStateRequest update(PartitionState state, int expectedEpoch) {
        return UpdatePartitionStateRequest.newBuilder().setState(state).setExpectedPartitionEpoch(expectedEpoch).build();
    }

    @Test
    void aPartitionStateUpdateAtTheExpectedEpochIsStoredWithTheEpochBumped() {
        liveStorageNodes(1, 2, 3);
        PartitionState p0 = topics.create(create("t").setPartitions(1).setReplicationFactor(3).build()).getPartitions(0);
        int newLeader = p0.getReplicas(1);
        PartitionState wanted = p0.toBuilder().setLeader(newLeader).setLeaderEpoch(1).clearIsr()
                .addIsr(p0.getReplicas(1)).addIsr(p0.getReplicas(2)).build();

        PartitionState stored = topics.updatePartitionState(update(wanted, 0));

        assertThat(stored.getPartitionEpoch()).isEqualTo(1);
        assertThat(stored.getLeader()).isEqualTo(newLeader);
        assertThat(topics.describe("t").getPartitions(0)).isEqualTo(stored);
    }

    @Test
    void aPartitionStateUpdateAtAStaleEpochFailsAsCasFailed() {
        liveStorageNodes(1, 2);
        PartitionState p0 = topics.create(create("t").setPartitions(1).setReplicationFactor(2).build()).getPartitions(0);
        PartitionState shrunk = p0.toBuilder().clearIsr().addIsr(p0.getLeader()).build();
        topics.updatePartitionState(update(shrunk, 0));

        assertFails(() -> topics.updatePartitionState(update(shrunk, 0)), ErrorCode.CAS_FAILED, "at partition epoch 1, not the expected 0");
    }

    @Test
    void aPartitionStateUpdateOfAnUnknownPartitionFailsAsUnknown() {
        liveStorageNodes(1);
        topics.create(create("t").setPartitions(1).setReplicationFactor(1).build());
        PartitionState ghost = PartitionState.newBuilder().setTopic("t").setPartition(7).addReplicas(1).setLeader(1).addIsr(1).build();

        assertFails(() -> topics.updatePartitionState(update(ghost, 0)), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "t-7 does not exist");
    }

    @Test
    void aLeaderChangeWithoutANewLeaderEpochIsRefused() {
        liveStorageNodes(1, 2);
        PartitionState p0 = topics.create(create("t").setPartitions(1).setReplicationFactor(2).build()).getPartitions(0);
        PartitionState sameEpoch = p0.toBuilder().setLeader(p0.getReplicas(1)).build();

        assertFails(() -> topics.updatePartitionState(update(sameEpoch, 0)), ErrorCode.INVALID_REQUEST, "leader_epoch must grow");
    }

    @Test
    void anIsrOutsideTheReplicasOrALeaderOutsideTheIsrIsRefused() {
        liveStorageNodes(1, 2);
        PartitionState p0 = topics.create(create("t").setPartitions(1).setReplicationFactor(2).build()).getPartitions(0);

        assertFails(() -> topics.updatePartitionState(update(p0.toBuilder().addIsr(99).build(), 0)), ErrorCode.INVALID_REQUEST, "isr");
        assertFails(() -> topics.updatePartitionState(update(p0.toBuilder().clearIsr().addIsr(p0.getReplicas(1)).build(), 0)),
                ErrorCode.INVALID_REQUEST, "leader");
    }
}
