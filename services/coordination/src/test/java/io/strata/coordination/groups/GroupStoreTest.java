package io.strata.coordination.groups;

import io.strata.coordination.CoordinationException;
import io.strata.coordination.layout.Keys;
import io.strata.coordination.store.Compare;
import io.strata.coordination.store.EmbeddedMetadataStore;
import io.strata.coordination.store.KeyValue;
import io.strata.coordination.store.MetadataStore;
import io.strata.coordination.store.Op;
import io.strata.proto.v1.DeleteGroupStateRequest;
import io.strata.proto.v1.ElectionCandidate;
import io.strata.proto.v1.ElectionFence;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.GroupRecord;
import io.strata.proto.v1.OffsetCommit;
import io.strata.proto.v1.PutGroupRecordRequest;
import io.strata.proto.v1.StoreGroupOffsetsRequest;
import io.strata.proto.v1.StoredGroup;
import io.strata.runtime.testing.MutableClock;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The group store on the domain class alone (no gRPC), on a real embedded store whose
 * transactions the test can watch and interleave with: how writes are split, and that the
 * fence is checked in the write's own transaction. Candidates are written as the election
 * recipe writes them ({@code elections/groups/<lease hex>}, bound to a lease).
 */
@Timeout(30)
class GroupStoreTest {

    @TempDir
    Path dir;

    private MetadataStore store;
    /** Called with the number of each transaction (0, 1, ...) just before it runs. */
    private IntConsumer beforeTxn = n -> { };
    private final List<Integer> txnSizes = new ArrayList<>();
    private GroupStore groups;

    @BeforeEach
    void setUp() {
        store = EmbeddedMetadataStore.builder(dir).clock(new MutableClock()).open();
        groups = new GroupStore(interceptingTxns(store));
    }

    @AfterEach
    void tearDown() {
        store.close();
    }

    /** {@code delegate}, with every transaction recorded and preceded by {@link #beforeTxn}. */
    private MetadataStore interceptingTxns(MetadataStore delegate) {
        AtomicInteger count = new AtomicInteger();
        return (MetadataStore) Proxy.newProxyInstance(MetadataStore.class.getClassLoader(), new Class<?>[] {MetadataStore.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("txn")) {
                        beforeTxn.accept(count.getAndIncrement());
                        txnSizes.add(((List<?>) args[1]).size());
                    }
                    try {
                        return method.invoke(delegate, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /** A candidate in election "groups" as Elections writes one; its term is the key's create revision. */
    private Candidate campaign(String candidateId) {
        long lease = store.grantLease(Duration.ofMinutes(1)).id();
        String key = Keys.electionCandidate("groups", lease);
        store.txn(List.of(Compare.absent(key)),
                List.of(Op.put(key, ElectionCandidate.newBuilder().setCandidateId(candidateId).build().toByteArray(), lease)));
        return new Candidate(lease, store.get(key).orElseThrow().createRevision());
    }

    private record Candidate(long lease, long term) {
        ElectionFence fence() {
            return ElectionFence.newBuilder().setElection("groups").setTerm(term).build();
        }
    }

    private static List<OffsetCommit> offsets(String topic, int partitions, String metadata) {
        return IntStream.range(0, partitions).mapToObj(p -> OffsetCommit.newBuilder().setTopic(topic).setPartition(p)
                .setOffset(1000L + p).setMetadata(metadata).build()).toList();
    }

    private void store(Candidate writer, String groupId, List<OffsetCommit> offsets) {
        groups.storeOffsets(StoreGroupOffsetsRequest.newBuilder().setFence(writer.fence()).setGroupId(groupId)
                .addAllOffsets(offsets).build());
    }

    private List<KeyValue> keysOf(String groupId) {
        return store.getPrefix(Keys.groupPrefix(groupId)).kvs();
    }

    private static void assertRefused(ThrowingCallable call, ErrorCode code, String messagePart) {
        assertThatThrownBy(call).isInstanceOfSatisfying(CoordinationException.class, e -> {
            assertThat(e.code()).isEqualTo(code);
            assertThat(e.getMessage()).contains(messagePart);
        });
    }

    @Test
    void offsetsOf300PartitionsAreWrittenInFencedPartsOf127() {
        Candidate leader = campaign("a");

        store(leader, "g", offsets("orders", 300, ""));

        assertThat(txnSizes).containsExactly(127, 127, 46);
        assertThat(keysOf("g")).hasSize(300);
    }

    @Test
    void offsetsWithLargeMetadataAreSplitByBytesToo() {
        Candidate leader = campaign("a");
        String metadata = "日".repeat(GroupStore.MAX_METADATA_LENGTH); // 12 KiB of UTF-8 per offset: 127 exceed a transaction

        store(leader, "g", offsets("orders", 127, metadata));

        assertThat(txnSizes).hasSizeGreaterThan(1).allSatisfy(n -> assertThat(n).isLessThan(127));
        assertThat(txnSizes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(127);
        assertThat(groups.load().get(0).getOffsetsList()).hasSize(127).allSatisfy(o -> assertThat(o.getMetadata()).isEqualTo(metadata));
    }

    @Test
    void aLeaderDeposedBetweenTheCheckAndTheWriteChangesNothing() {
        Candidate first = campaign("a");
        campaign("b");
        beforeTxn = n -> store.revokeLease(first.lease()); // resigns after the fence was read, before the write commits

        assertRefused(() -> groups.putRecord(PutGroupRecordRequest.newBuilder().setFence(first.fence())
                        .setRecord(GroupRecord.newBuilder().setGroupId("g")).build()),
                ErrorCode.NOT_COORDINATOR, "the active one is candidate 'b'");
        assertThat(keysOf("g")).isEmpty();
    }

    @Test
    void aLeaderDeposedBetweenPartsKeepsTheEarlierPartsAndSaysHowMany() {
        Candidate first = campaign("a");
        campaign("b");
        beforeTxn = n -> {
            if (n == 1) {
                store.revokeLease(first.lease());
            }
        };

        assertRefused(() -> store(first, "g", offsets("orders", 300, "")), ErrorCode.NOT_COORDINATOR,
                "127 of 300 offsets of group 'g' were stored (parts 1..1 of 3), the rest not");
        assertThat(keysOf("g")).hasSize(127);
    }

    @Test
    void anEmptyCommitChangesNothingButIsStillFenced() {
        Candidate first = campaign("a");
        long revision = store.currentRevision();

        store(first, "g", List.of());

        assertThat(store.currentRevision()).isEqualTo(revision);
        store.revokeLease(first.lease());
        assertRefused(() -> store(first, "g", List.of()), ErrorCode.NOT_COORDINATOR, "the active one is none");
    }

    @Test
    void deleteRemovesOneGroupInOneTransaction() {
        Candidate leader = campaign("a");
        store(leader, "g", offsets("orders", 200, ""));
        store(leader, "g2", offsets("orders", 1, ""));
        txnSizes.clear();

        groups.delete(DeleteGroupStateRequest.newBuilder().setFence(leader.fence()).setGroupId("g").build());

        assertThat(txnSizes).containsExactly(1);
        assertThat(keysOf("g")).isEmpty();
        assertThat(keysOf("g2")).hasSize(1);
    }

    @Test
    void loadAnswersGroupsInIdOrderNotKeyOrderWithOffsetsByTopicAndPartitionNumber() {
        Candidate leader = campaign("a");
        // key order puts "groups/g-/..." and "groups/g.x/..." before "groups/g/...": '-' and '.' sort before '/'
        for (String id : List.of("g2", "g.x", "g", "g-", "é")) {
            store(leader, id, offsets("t", 11, ""));
        }
        groups.putRecord(PutGroupRecordRequest.newBuilder().setFence(leader.fence())
                .setRecord(GroupRecord.newBuilder().setGroupId("g").setGroupEpoch(3)).build());
        store.txn(List.of(), List.of(Op.put(Keys.GROUPS + "g/something-newer", new byte[] {1})));

        List<StoredGroup> loaded = groups.load();

        assertThat(loaded).extracting(StoredGroup::getGroupId).containsExactly("g", "g-", "g.x", "g2", "é");
        assertThat(loaded.get(0).getRecord().getGroupEpoch()).isEqualTo(3);
        assertThat(loaded.get(1).hasRecord()).isFalse();
        assertThat(loaded.get(0).getOffsetsList()).extracting(OffsetCommit::getPartition)
                .containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
        assertThat(loaded).extracting(StoredGroup::getRevision).containsOnly(store.currentRevision());
    }
}
