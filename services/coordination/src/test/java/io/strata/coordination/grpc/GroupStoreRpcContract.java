package io.strata.coordination.grpc;

import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.strata.proto.v1.CampaignRequest;
import io.strata.proto.v1.DeleteGroupStateRequest;
import io.strata.proto.v1.ElectionFence;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.GroupRecord;
import io.strata.proto.v1.LeadershipEvent;
import io.strata.proto.v1.LoadGroupsRequest;
import io.strata.proto.v1.MemberRecord;
import io.strata.proto.v1.OffsetCommit;
import io.strata.proto.v1.PutGroupRecordRequest;
import io.strata.proto.v1.ResignRequest;
import io.strata.proto.v1.StoreGroupOffsetsRequest;
import io.strata.proto.v1.StoredGroup;
import io.strata.proto.v1.TopicPartitions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static io.strata.coordination.grpc.CoordinationTestServer.assertStrataError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The consumer-group store RPCs (PutGroupRecord, StoreGroupOffsets, DeleteGroupState,
 * LoadGroups) over a real gRPC server, written once and run on each metadata store
 * ({@link GroupStoreRpcTest}: embedded, {@link EtcdGroupStoreRpcTest}: a real etcd): round trips,
 * split commits, fencing by the "groups" election's term, and every refusal's reason and message.
 */
abstract class GroupStoreRpcContract {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private CoordinationTestServer coordination;
    private final List<StreamRecorder<?, ?>> streams = new ArrayList<>();

    /** A fresh coordination server on this contract's store. */
    abstract CoordinationTestServer startCoordination() throws Exception;

    @BeforeEach
    void start() throws Exception {
        coordination = startCoordination();
    }

    @AfterEach
    void stop() throws Exception {
        streams.stream().filter(s -> !s.ended.isDone()).forEach(StreamRecorder::cancel);
        coordination.close();
    }

    /** Campaigns in election "groups" and waits until {@code candidate} leads: the fence of its term. */
    private ElectionFence leadGroups(String candidate) {
        StreamRecorder<CampaignRequest, LeadershipEvent> campaign = campaign(candidate);
        await().atMost(WAIT).until(() -> !campaign.values.isEmpty());
        return fence(campaign.last().getTerm());
    }

    private StreamRecorder<CampaignRequest, LeadershipEvent> campaign(String candidate) {
        StreamRecorder<CampaignRequest, LeadershipEvent> campaign = new StreamRecorder<>();
        streams.add(campaign);
        coordination.async().campaign(CampaignRequest.newBuilder().setElection("groups").setCandidateId(candidate).build(), campaign);
        return campaign;
    }

    private static ElectionFence fence(long term) {
        return ElectionFence.newBuilder().setElection("groups").setTerm(term).build();
    }

    private long putRecord(ElectionFence fence, GroupRecord record) {
        return coordination.blocking().putGroupRecord(PutGroupRecordRequest.newBuilder().setFence(fence).setRecord(record).build())
                .getRevision();
    }

    private void storeOffsets(ElectionFence fence, String groupId, List<OffsetCommit> offsets) {
        coordination.blocking().storeGroupOffsets(StoreGroupOffsetsRequest.newBuilder().setFence(fence).setGroupId(groupId)
                .addAllOffsets(offsets).build());
    }

    private void delete(ElectionFence fence, String groupId) {
        coordination.blocking().deleteGroupState(DeleteGroupStateRequest.newBuilder().setFence(fence).setGroupId(groupId).build());
    }

    private List<StoredGroup> load() {
        List<StoredGroup> loaded = new ArrayList<>();
        coordination.blocking().loadGroups(LoadGroupsRequest.getDefaultInstance()).forEachRemaining(loaded::add);
        return loaded;
    }

    private static GroupRecord record(String groupId, int epoch) {
        return GroupRecord.newBuilder().setGroupId(groupId).setGroupEpoch(epoch).setAssignmentEpoch(epoch).setAssignor("uniform")
                .putPartitionCounts("orders", 3)
                .addMembers(MemberRecord.newBuilder().setMemberId("m-1").setClientId("app").setMemberEpoch(epoch)
                        .setState("stable").addSubscribedTopicNames("orders")
                        .addAssigned(TopicPartitions.newBuilder().setTopic("orders").addPartitions(0).addPartitions(1).addPartitions(2)))
                .build();
    }

    private static OffsetCommit offset(String topic, int partition, long offset) {
        return OffsetCommit.newBuilder().setTopic(topic).setPartition(partition).setOffset(offset).setMetadata("m")
                .setLeaderEpoch(4).setCommitTimestampMs(1_700_000_000_000L).build();
    }

    private static List<OffsetCommit> offsets(String topic, int partitions) {
        return IntStream.range(0, partitions).mapToObj(p -> offset(topic, p, 10L * p)).toList();
    }

    @Test
    void aRecordAndItsOffsetsAreLoadedAsTheyWereStored() {
        ElectionFence fence = leadGroups("groups-1");
        GroupRecord record = record("payments", 7);

        long revision = putRecord(fence, record);
        storeOffsets(fence, "payments", List.of(offset("orders", 1, 42), offset("audit", 0, 5), offset("orders", 0, 40)));

        List<StoredGroup> loaded = load();
        assertThat(loaded).hasSize(1);
        StoredGroup group = loaded.get(0);
        assertThat(group.getGroupId()).isEqualTo("payments");
        assertThat(group.getRecord()).isEqualTo(record);
        assertThat(group.getOffsetsList()).containsExactly(offset("audit", 0, 5), offset("orders", 0, 40), offset("orders", 1, 42));
        assertThat(revision).isPositive();
        assertThat(group.getRevision()).isGreaterThan(revision);

        GroupRecord next = record("payments", 8);
        assertThat(putRecord(fence, next)).isGreaterThan(revision);
        assertThat(load().get(0).getRecord()).isEqualTo(next);
    }

    @Test
    void aCommitOf300PartitionsIsStoredInPartsAndLoadedWhole() {
        ElectionFence fence = leadGroups("groups-1");

        storeOffsets(fence, "big", offsets("events", 300));

        List<StoredGroup> loaded = load();
        assertThat(loaded).hasSize(1);
        assertThat(loaded.get(0).hasRecord()).isFalse();
        assertThat(loaded.get(0).getOffsetsList()).isEqualTo(offsets("events", 300));
    }

    @Test
    void groupsAreLoadedOneMessagePerGroupInGroupIdOrder() {
        ElectionFence fence = leadGroups("groups-1");
        for (String id : List.of("g2", "g-", "g", "a b", "é")) {
            storeOffsets(fence, id, List.of(offset("t", 0, 1)));
        }
        putRecord(fence, record("g", 1));

        List<StoredGroup> loaded = load();

        assertThat(loaded).extracting(StoredGroup::getGroupId).containsExactly("a b", "g", "g-", "g2", "é");
        assertThat(loaded).allSatisfy(g -> assertThat(g.getOffsetsList()).containsExactly(offset("t", 0, 1)));
        assertThat(loaded).extracting(StoredGroup::getRevision).containsOnly(loaded.get(0).getRevision());
        assertThat(loaded).extracting(StoredGroup::hasRecord).containsExactly(false, true, false, false, false);
    }

    @Test
    void loadGroupsOnAnEmptyStoreEndsWithoutMessages() {
        assertThat(load()).isEmpty();
    }

    @Test
    void loadGroupsSendsOnlyAsFastAsTheClientReads() {
        ElectionFence fence = leadGroups("groups-1");
        int count = 30;
        for (int i = 0; i < count; i++) { // 100 KB each: far more than HTTP/2's 64 KiB window holds unread
            putRecord(fence, record(String.format("g%02d", i), 1).toBuilder()
                    .addMembers(MemberRecord.newBuilder().setMemberId("big").setClientHost("h".repeat(100_000))).build());
        }
        List<StoredGroup> received = new CopyOnWriteArrayList<>();
        CompletableFuture<Throwable> ended = new CompletableFuture<>();
        coordination.async().loadGroups(LoadGroupsRequest.getDefaultInstance(), new ClientResponseObserver<LoadGroupsRequest, StoredGroup>() {
            private ClientCallStreamObserver<LoadGroupsRequest> call;

            @Override
            public void beforeStart(ClientCallStreamObserver<LoadGroupsRequest> requestStream) {
                call = requestStream;
                requestStream.disableAutoRequestWithInitial(1); // one message at a time, asked for after the previous one
            }

            @Override
            public void onNext(StoredGroup group) {
                received.add(group);
                call.request(1);
            }

            @Override
            public void onError(Throwable t) {
                ended.complete(t);
            }

            @Override
            public void onCompleted() {
                ended.complete(null);
            }
        });

        assertThat(ended.orTimeout(10, TimeUnit.SECONDS).join()).isNull();
        assertThat(received).extracting(StoredGroup::getGroupId)
                .containsExactlyElementsOf(IntStream.range(0, count).mapToObj(i -> String.format("g%02d", i)).toList());
    }

    @Test
    void aDeposedLeadersWritesAreRefusedAndChangeNothingWhileTheNewLeadersAreApplied() {
        StreamRecorder<CampaignRequest, LeadershipEvent> first = campaign("groups-1");
        await().atMost(WAIT).until(() -> !first.values.isEmpty());
        ElectionFence stale = fence(first.last().getTerm());
        putRecord(stale, record("g", 1));
        storeOffsets(stale, "g", List.of(offset("orders", 0, 100)));
        StreamRecorder<CampaignRequest, LeadershipEvent> second = campaign("groups-2");
        coordination.blocking().resign(ResignRequest.newBuilder().setElection("groups").setCandidateId("groups-1").build());
        await().atMost(WAIT).until(() -> !second.values.isEmpty());
        ElectionFence current = fence(second.last().getTerm());
        List<StoredGroup> before = load();

        String deposed = "this groups instance (term " + stale.getTerm() + ") does not lead election groups now;"
                + " the active one is candidate 'groups-2' (term " + current.getTerm() + ")";
        assertStrataError(() -> putRecord(stale, record("g", 2)), ErrorCode.NOT_COORDINATOR, deposed);
        assertStrataError(() -> storeOffsets(stale, "g", offsets("orders", 300)), ErrorCode.NOT_COORDINATOR, deposed);
        assertStrataError(() -> delete(stale, "g"), ErrorCode.NOT_COORDINATOR, deposed);
        assertStrataError(() -> putRecord(fence(current.getTerm() + 1000), record("g", 2)), ErrorCode.NOT_COORDINATOR,
                "(term " + (current.getTerm() + 1000) + ") does not lead election groups now");
        assertThat(load()).extracting(StoredGroup::getRecord, StoredGroup::getOffsetsList)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(before.get(0).getRecord(), before.get(0).getOffsetsList()));

        putRecord(current, record("g", 2));
        storeOffsets(current, "g", List.of(offset("orders", 0, 200)));

        StoredGroup after = load().get(0);
        assertThat(after.getRecord().getGroupEpoch()).isEqualTo(2);
        assertThat(after.getOffsetsList()).containsExactly(offset("orders", 0, 200));
    }

    @Test
    void withoutAnyLeaderEveryWriteIsNotCoordinator() {
        assertStrataError(() -> putRecord(fence(5), record("g", 1)), ErrorCode.NOT_COORDINATOR,
                "this groups instance (term 5) does not lead election groups now; the active one is none");
        assertThat(load()).isEmpty();
    }

    @Test
    void deletingAGroupRemovesItsRecordAndOffsetsButNotAGroupWhoseIdStartsTheSame() {
        ElectionFence fence = leadGroups("groups-1");
        for (String id : List.of("g", "g2", "g-x")) {
            putRecord(fence, record(id, 1));
            storeOffsets(fence, id, offsets("orders", 3));
        }

        delete(fence, "g");

        List<StoredGroup> loaded = load();
        assertThat(loaded).extracting(StoredGroup::getGroupId).containsExactly("g-x", "g2");
        assertThat(loaded).allSatisfy(g -> {
            assertThat(g.hasRecord()).isTrue();
            assertThat(g.getOffsetsList()).hasSize(3);
        });
        delete(fence, "absent"); // not an error: the groups role checks existence
    }

    @Test
    void invalidRequestsAreRefusedNamingTheFieldAndStoreNothing() {
        ElectionFence fence = leadGroups("groups-1");

        assertStrataError(() -> coordination.blocking().putGroupRecord(PutGroupRecordRequest.newBuilder()
                .setRecord(record("g", 1)).build()), ErrorCode.INVALID_REQUEST, "fence is required");
        assertStrataError(() -> putRecord(fence(0), record("g", 1)), ErrorCode.INVALID_REQUEST, "fence.term must be > 0");
        assertStrataError(() -> putRecord(fence.toBuilder().setElection("groups/x").build(), record("g", 1)),
                ErrorCode.INVALID_REQUEST, "fence.election must be 1..128 characters of [a-zA-Z0-9._-], got 'groups/x'");
        assertStrataError(() -> coordination.blocking().putGroupRecord(PutGroupRecordRequest.newBuilder().setFence(fence).build()),
                ErrorCode.INVALID_REQUEST, "record is required");
        assertStrataError(() -> putRecord(fence, record("", 1)), ErrorCode.INVALID_REQUEST, "record.group_id: group id must not be empty");
        assertStrataError(() -> putRecord(fence, record("a/b", 1)), ErrorCode.INVALID_REQUEST, "record.group_id: group id 'a/b' contains '/'");
        assertStrataError(() -> putRecord(fence, record("..", 1)), ErrorCode.INVALID_REQUEST, "record.group_id: group id cannot be '.' or '..'");
        GroupRecord huge = record("g", 1).toBuilder().addMembers(MemberRecord.newBuilder().setClientHost("h".repeat(1_600_000))).build();
        assertStrataError(() -> putRecord(fence, huge), ErrorCode.INVALID_REQUEST,
                "group 'g' is too large to store: its record (2 members) is " + huge.getSerializedSize() + " bytes; the limit is");

        assertStrataError(() -> storeOffsets(fence, "x".repeat(250), offsets("t", 1)), ErrorCode.INVALID_REQUEST,
                "group_id: group id is 250 characters; the limit is 249");
        assertStrataError(() -> storeOffsets(fence, "g", List.of(offset("t", 0, 1), offset("bad topic", 0, 1))),
                ErrorCode.INVALID_REQUEST, "offsets[1].topic: topic name 'bad topic' contains ' '");
        assertStrataError(() -> storeOffsets(fence, "g", List.of(offset("t", -1, 1))), ErrorCode.INVALID_REQUEST,
                "offsets[0].partition must be >= 0, got -1 (topic 't')");
        assertStrataError(() -> storeOffsets(fence, "g", List.of(offset("t", 3, -1))), ErrorCode.INVALID_REQUEST,
                "offsets[0].offset must be >= 0, got -1 for t-3");
        assertStrataError(() -> storeOffsets(fence, "g", List.of(offset("t", 0, 1).toBuilder().setMetadata("m".repeat(4097)).build())),
                ErrorCode.INVALID_REQUEST, "offsets[0].metadata is 4097 characters for t-0; the limit is 4096");
        assertStrataError(() -> storeOffsets(fence, "g", List.of(offset("t", 0, 1), offset("u", 0, 1), offset("t", 0, 2))),
                ErrorCode.INVALID_REQUEST, "offsets[2] commits t-0 again (offsets[0] already does)");

        assertStrataError(() -> delete(fence, "a\nb"), ErrorCode.INVALID_REQUEST,
                "group_id: group id contains control character U+000A at index 1");
        assertStrataError(() -> coordination.blocking().deleteGroupState(DeleteGroupStateRequest.newBuilder().setGroupId("g").build()),
                ErrorCode.INVALID_REQUEST, "fence is required");

        assertThat(load()).isEmpty();
    }
}
