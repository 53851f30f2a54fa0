package io.strata.client.admin;

import io.grpc.StatusRuntimeException;
import io.strata.client.CommonClientConfigs;
import io.strata.client.NodeInfo;
import io.strata.client.StrataException;
import io.strata.client.TopicPartition;
import io.strata.client.consumer.OffsetAndMetadata;
import io.strata.client.internal.ActiveInstance;
import io.strata.client.internal.Address;
import io.strata.client.internal.ChannelPool;
import io.strata.client.internal.ClientConfig;
import io.strata.client.internal.ClusterSnapshot;
import io.strata.client.internal.Errors;
import io.strata.proto.v1.AlterTopicConfigRequest;
import io.strata.proto.v1.ClusterMetadata;
import io.strata.proto.v1.CoordinationGrpc;
import io.strata.proto.v1.CreateTopicRequest;
import io.strata.proto.v1.DeleteGroupRequest;
import io.strata.proto.v1.DeleteQuotaRequest;
import io.strata.proto.v1.DescribeGroupRequest;
import io.strata.proto.v1.DeleteTopicRequest;
import io.strata.proto.v1.DescribeTopicRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.FetchOffsetsRequest;
import io.strata.proto.v1.GroupsGrpc;
import io.strata.proto.v1.ListGroupsRequest;
import io.strata.proto.v1.ListQuotasRequest;
import io.strata.proto.v1.ListTopicsRequest;
import io.strata.proto.v1.MetadataRequest;
import io.strata.proto.v1.PartitionState;
import io.strata.proto.v1.OffsetCommit;
import io.strata.proto.v1.ReassignPartitionsRequest;
import io.strata.proto.v1.ReplicationGrpc;
import io.strata.proto.v1.ResetOffsetsRequest;
import io.strata.proto.v1.SetQuotaRequest;
import io.strata.proto.v1.TopicPartitions;
import io.strata.proto.v1.TopicSummary;

import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Creates, lists, describes, alters and deletes topics, sets client-id quotas, and describes the
 * cluster, through coordination; reassigns partitions through the active replication controller
 * (the leader of coordination's election {@value #REPLICATION_ELECTION}); lists, describes and
 * deletes consumer groups and resets their offsets through the active groups coordinator
 * (election {@value #GROUPS_ELECTION}). Calls block up to {@code request.timeout.ms}. When a
 * bootstrap address cannot be reached the next one is tried, and a standby's refusal naming the
 * active instance is followed once; nothing else is retried (creating a topic is not idempotent).
 * Thread-safe. Failures are thrown as {@link StrataException} with the server's reason.
 *
 * <pre>{@code
 * try (var admin = new StrataAdmin(Map.of("bootstrap.servers", "127.0.0.1:9092"))) {
 *     admin.createTopic(new NewTopic("events", 3, 1));
 * }
 * }</pre>
 */
public final class StrataAdmin implements AutoCloseable {

    /** The coordination election whose leader is the active replication controller's {@code host:port}. */
    static final String REPLICATION_ELECTION = "replication";
    /** The coordination election whose leader is the active groups coordinator's {@code host:port}. */
    static final String GROUPS_ELECTION = "groups";

    private final List<Address> bootstrap;
    private final int requestTimeoutMs;
    private final ChannelPool channels;
    private final ActiveInstance replicationController;
    private final ActiveInstance groupsCoordinator;
    private volatile int preferred;

    /**
     * @param configs {@code bootstrap.servers} (required), {@code client.id}, {@code request.timeout.ms}
     * @throws IllegalArgumentException for an invalid config value
     */
    public StrataAdmin(Map<String, ?> configs) {
        ClientConfig c = new ClientConfig(configs, Set.of(), "admin");
        this.bootstrap = c.bootstrapServers();
        this.requestTimeoutMs = c.requestTimeoutMs();
        this.channels = new ChannelPool(c.clientId());
        this.replicationController = new ActiveInstance(REPLICATION_ELECTION, ErrorCode.NOT_CONTROLLER, bootstrap,
                channels, requestTimeoutMs);
        this.groupsCoordinator = new ActiveInstance(GROUPS_ELECTION, ErrorCode.NOT_COORDINATOR, bootstrap, channels,
                requestTimeoutMs);
    }

    /** As {@link #StrataAdmin(Map)}, from {@link Properties}. */
    public StrataAdmin(Properties configs) {
        this(ClientConfig.toMap(configs));
    }

    /** An admin client for one bootstrap address, with defaults otherwise. */
    public static StrataAdmin forBootstrap(String bootstrapServers) {
        return new StrataAdmin(Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS, bootstrapServers));
    }

    /**
     * Creates a topic and returns its description (leaders may still be -1 right after).
     *
     * @throws StrataException e.g. {@code INVALID_TOPIC}, {@code TOPIC_ALREADY_EXISTS},
     *                         {@code INVALID_PARTITIONS}, {@code INVALID_REPLICATION_FACTOR},
     *                         {@code INVALID_CONFIG}, {@code NOT_ENOUGH_NODES}
     */
    public TopicDescription createTopic(NewTopic topic) {
        if (topic.partitions().isPresent() && topic.partitions().getAsInt() < 1) {
            throw new StrataException(ErrorCode.INVALID_PARTITIONS,
                    "partitions must be at least 1, got " + topic.partitions().getAsInt());
        }
        if (topic.replicationFactor().isPresent() && topic.replicationFactor().getAsInt() < 1) {
            throw new StrataException(ErrorCode.INVALID_REPLICATION_FACTOR,
                    "replication factor must be at least 1, got " + topic.replicationFactor().getAsInt());
        }
        CreateTopicRequest request = CreateTopicRequest.newBuilder()
                .setName(topic.name())
                .setPartitions(topic.partitions().orElse(0))
                .setReplicationFactor(topic.replicationFactor().orElse(0))
                .putAllConfigs(topic.configs())
                .build();
        return toDescription(call(stub -> stub.createTopic(request)));
    }

    /**
     * Deletes a topic.
     *
     * @return the deleted topic's id
     * @throws StrataException {@code UNKNOWN_TOPIC_OR_PARTITION} when it does not exist
     */
    public String deleteTopic(String name) {
        return call(stub -> stub.deleteTopic(DeleteTopicRequest.newBuilder().setName(name).build())).getTopicId();
    }

    /** Every topic, sorted by name. */
    public List<TopicListing> listTopics() {
        return call(stub -> stub.listTopics(ListTopicsRequest.getDefaultInstance())).getTopicsList().stream()
                .map(StrataAdmin::toListing)
                .sorted(Comparator.comparing(TopicListing::name))
                .toList();
    }

    /**
     * One topic: partitions (leader, replicas, ISR) and its effective config.
     *
     * @throws StrataException {@code UNKNOWN_TOPIC_OR_PARTITION} when it does not exist
     */
    public TopicDescription describeTopic(String name) {
        return toDescription(call(stub -> stub.describeTopic(DescribeTopicRequest.newBuilder().setName(name).build())));
    }

    /**
     * Sets and removes topic-level config overrides.
     *
     * @param set    overrides to set
     * @param delete override keys to remove (back to the cluster default)
     * @throws StrataException {@code UNKNOWN_TOPIC_OR_PARTITION}, {@code INVALID_CONFIG}
     */
    public TopicDescription alterTopicConfig(String name, Map<String, String> set, Collection<String> delete) {
        AlterTopicConfigRequest request = AlterTopicConfigRequest.newBuilder()
                .setName(name).putAllSet(set).addAllDelete(delete).build();
        return toDescription(call(stub -> stub.alterTopicConfig(request)));
    }

    /** The cluster id, the live storage nodes and the ingestion endpoints. */
    public ClusterDescription clusterMetadata() {
        ClusterMetadata md = call(stub -> stub.getMetadata(MetadataRequest.getDefaultInstance()));
        List<NodeInfo> nodes = md.getNodesList().stream()
                .map(n -> new NodeInfo(n.getNodeId(), n.getHost(), n.getPort(), n.getRack()))
                .sorted(Comparator.comparingInt(NodeInfo::id))
                .toList();
        return new ClusterDescription(md.getClusterId(), nodes, md.getIngestionEndpointsList());
    }

    /**
     * Sets the quota of one client id: the rates given replace its stored ones, the rates left
     * empty keep theirs (at least one must be given). Storage nodes and ingestion instances
     * enforce it within about a second.
     *
     * @param producerByteRate bytes per second the client id may produce to each storage node
     *                         (and publish to each ingestion instance); > 0
     * @param consumerByteRate bytes per second it may fetch from each storage node; > 0
     * @return the client id's quota as stored now
     * @throws StrataException {@code INVALID_REQUEST}: an empty or over-long client id, a rate
     *                         &lt;= 0, or no rate at all
     */
    public ClientQuota setQuota(String clientId, OptionalLong producerByteRate, OptionalLong consumerByteRate) {
        SetQuotaRequest.Builder request = SetQuotaRequest.newBuilder().setClientId(Objects.requireNonNull(clientId, "clientId"));
        producerByteRate.ifPresent(request::setProducerByteRate);
        consumerByteRate.ifPresent(request::setConsumerByteRate);
        return toQuota(call(stub -> stub.setQuota(request.build())));
    }

    /**
     * Sets the default entity's quota (Kafka's {@code <default>} client id): the rates of every
     * client id that has none of its own. Otherwise as {@link #setQuota}.
     *
     * @throws StrataException {@code INVALID_REQUEST}: a rate &lt;= 0, or no rate at all
     */
    public ClientQuota setDefaultQuota(OptionalLong producerByteRate, OptionalLong consumerByteRate) {
        SetQuotaRequest.Builder request = SetQuotaRequest.newBuilder().setDefaultEntity(true);
        producerByteRate.ifPresent(request::setProducerByteRate);
        consumerByteRate.ifPresent(request::setConsumerByteRate);
        return toQuota(call(stub -> stub.setQuota(request.build())));
    }

    /**
     * Removes the quota of one client id (both rates).
     *
     * @return the quota as it was
     * @throws StrataException {@code UNKNOWN_QUOTA} when none is set, {@code INVALID_REQUEST} for an empty client id
     */
    public ClientQuota deleteQuota(String clientId) {
        DeleteQuotaRequest request = DeleteQuotaRequest.newBuilder().setClientId(Objects.requireNonNull(clientId, "clientId")).build();
        return toQuota(call(stub -> stub.deleteQuota(request)).getDeleted());
    }

    /**
     * Removes the default entity's quota.
     *
     * @return the quota as it was
     * @throws StrataException {@code UNKNOWN_QUOTA} when none is set
     */
    public ClientQuota deleteDefaultQuota() {
        DeleteQuotaRequest request = DeleteQuotaRequest.newBuilder().setDefaultEntity(true).build();
        return toQuota(call(stub -> stub.deleteQuota(request)).getDeleted());
    }

    /** Every quota set: the default entity's first, then client ids in order. */
    public List<ClientQuota> listQuotas() {
        return call(stub -> stub.listQuotas(ListQuotasRequest.getDefaultInstance())).getQuotasList().stream()
                .map(StrataAdmin::toQuota)
                .toList();
    }

    /**
     * Moves partitions' replicas to other nodes (Kafka's {@code alterPartitionReassignments}):
     * the new replicas are added and copy the log; once all of them are in the ISR, leadership
     * moves into the new list if needed and the replicas not in it are removed. This returns when
     * the reassignment has started; {@link #describeTopic} shows its progress
     * ({@link TopicDescription#targetReplicas()}). Asking again for a partition being reassigned
     * replaces its target; asking again for the same target changes nothing.
     *
     * @param reassignments per partition the replica list wanted, preferred leader first; an
     *                      empty list cancels the partition's reassignment in progress (the
     *                      replicas added for it that have not caught up are removed)
     * @return each partition's state as written, in the map's iteration order
     * @throws StrataException {@code UNKNOWN_TOPIC_OR_PARTITION}, {@code INVALID_REPLICATION_FACTOR}
     *                         (duplicate node ids), {@code INELIGIBLE_REPLICA} (a node that is not
     *                         live), {@code INVALID_REQUEST}, {@code NOT_CONTROLLER} (no active
     *                         replication controller right now: retriable)
     */
    public List<PartitionReassignment> reassignPartitions(Map<TopicPartition, List<Integer>> reassignments) {
        ReassignPartitionsRequest.Builder request = ReassignPartitionsRequest.newBuilder();
        reassignments.forEach((tp, replicas) -> request.addReassignments(io.strata.proto.v1.PartitionReassignment.newBuilder()
                .setTopic(tp.topic()).setPartition(tp.partition()).addAllReplicas(replicas)));
        return callController(stub -> stub.reassignPartitions(request.build())).getStatesList().stream()
                .map(StrataAdmin::toReassignment)
                .toList();
    }

    /** As {@link #reassignPartitions} for one partition; an empty {@code replicas} cancels. */
    public PartitionReassignment reassignPartition(String topic, int partition, List<Integer> replicas) {
        return reassignPartitions(Map.of(new TopicPartition(topic, partition), replicas)).get(0);
    }

    private static PartitionReassignment toReassignment(PartitionState s) {
        return new PartitionReassignment(ClusterSnapshot.partitionInfos(s.getTopic(), List.of(s)).get(0), s.getTargetReplicasList());
    }

    /**
     * Calls the active replication controller ({@link ActiveInstance}: found through coordination's
     * Observe, a standby's NOT_CONTROLLER naming another instance followed once — such a refusal
     * wrote nothing, so the call is safe to repeat).
     */
    private <R> R callController(Function<ReplicationGrpc.ReplicationBlockingStub, R> method) {
        return replicationController.call(channel -> method.apply(ReplicationGrpc.newBlockingStub(channel)
                .withDeadlineAfter(requestTimeoutMs, TimeUnit.MILLISECONDS)));
    }

    // ---- consumer groups ----

    /**
     * Every consumer group (including groups that only have committed offsets), sorted by id.
     *
     * @throws StrataException {@code NOT_COORDINATOR} when no groups coordinator is active right now (retriable)
     */
    public List<GroupListing> listGroups() {
        return callGroups(stub -> stub.listGroups(ListGroupsRequest.getDefaultInstance())).getGroupsList().stream()
                .map(g -> new GroupListing(g.getGroupId(), g.getState(), g.getMembers()))
                .sorted(Comparator.comparing(GroupListing::groupId))
                .toList();
    }

    /**
     * One group: its members with their assignments, and per partition the committed offset, the
     * log end offset, the lag and the owning member.
     *
     * @throws StrataException {@code UNKNOWN_GROUP} when it does not exist
     */
    public GroupDescription describeGroup(String groupId) {
        io.strata.proto.v1.GroupDescription d = callGroups(stub -> stub.describeGroup(
                DescribeGroupRequest.newBuilder().setGroupId(Objects.requireNonNull(groupId, "groupId")).build()));
        List<GroupMemberDescription> members = d.getMembersList().stream()
                .map(m -> new GroupMemberDescription(m.getMemberId(), optional(m.getInstanceId()), m.getClientId(),
                        m.getHost(), m.getMemberEpoch(), partitions(m.getAssignment().getPartitionsList()),
                        partitions(m.getTargetAssignment().getPartitionsList()), Set.copyOf(m.getSubscribedTopicNamesList()),
                        optional(m.getSubscribedTopicRegex())))
                .toList();
        List<GroupPartitionLag> lags = d.getPartitionsList().stream()
                .map(p -> new GroupPartitionLag(new TopicPartition(p.getTopic(), p.getPartition()),
                        p.getCommitted() < 0 ? OptionalLong.empty() : OptionalLong.of(p.getCommitted()),
                        p.getLogEndOffset(), p.getLag(), optional(p.getMember())))
                .sorted(Comparator.comparing(GroupPartitionLag::partition))
                .toList();
        return new GroupDescription(d.getGroupId(), d.getState(), d.getGroupEpoch(), d.getAssignor(), members, lags);
    }

    /**
     * Deletes a group: its record and every committed offset.
     *
     * @throws StrataException {@code UNKNOWN_GROUP}; {@code GROUP_NOT_EMPTY} while it has live members
     */
    public void deleteGroup(String groupId) {
        callGroups(stub -> stub.deleteGroup(DeleteGroupRequest.newBuilder()
                .setGroupId(Objects.requireNonNull(groupId, "groupId")).build()));
    }

    /**
     * Moves a group's committed offsets on every partition of {@code topic} (Kafka's
     * {@code kafka-consumer-groups --reset-offsets}); refused while the group has live members.
     *
     * @param execute {@code false} for a dry run: the plan is answered and nothing changes
     * @return the new committed offset of each partition (planned or applied), by partition
     * @throws StrataException {@code UNKNOWN_GROUP}, {@code GROUP_NOT_EMPTY}, {@code UNKNOWN_TOPIC_OR_PARTITION}
     */
    public Map<TopicPartition, Long> resetOffsets(String groupId, String topic, OffsetResetSpec spec, boolean execute) {
        ResetOffsetsRequest.Builder request = ResetOffsetsRequest.newBuilder()
                .setGroupId(Objects.requireNonNull(groupId, "groupId"))
                .setTopic(Objects.requireNonNull(topic, "topic"))
                .setExecute(execute);
        switch (Objects.requireNonNull(spec, "spec")) {
            case OffsetResetSpec.Earliest e -> request.setToEarliest(true);
            case OffsetResetSpec.Latest l -> request.setToLatest(true);
            case OffsetResetSpec.ToOffset o -> request.setToOffset(o.offset());
            case OffsetResetSpec.ToTime t -> request.setToTimeMs(t.timestampMs());
        }
        return offsetsByPartition(callGroups(stub -> stub.resetOffsets(request.build())).getOffsetsList());
    }

    /**
     * Every committed offset of a group, by partition (empty for a group without any).
     */
    public Map<TopicPartition, OffsetAndMetadata> listGroupOffsets(String groupId) {
        List<OffsetCommit> offsets = callGroups(stub -> stub.fetchOffsets(FetchOffsetsRequest.newBuilder()
                .setGroupId(Objects.requireNonNull(groupId, "groupId")).build())).getOffsetsList();
        Map<TopicPartition, OffsetAndMetadata> out = new TreeMap<>();
        for (OffsetCommit c : offsets) {
            if (c.getOffset() >= 0) {
                out.put(new TopicPartition(c.getTopic(), c.getPartition()), new OffsetAndMetadata(c.getOffset(), c.getMetadata()));
            }
        }
        return Collections.unmodifiableMap(out);
    }

    private static Map<TopicPartition, Long> offsetsByPartition(List<OffsetCommit> offsets) {
        Map<TopicPartition, Long> out = new TreeMap<>();
        offsets.forEach(c -> out.put(new TopicPartition(c.getTopic(), c.getPartition()), c.getOffset()));
        return Collections.unmodifiableMap(out);
    }

    private static Set<TopicPartition> partitions(List<TopicPartitions> wire) {
        Set<TopicPartition> out = new TreeSet<>();
        wire.forEach(t -> t.getPartitionsList().forEach(p -> out.add(new TopicPartition(t.getTopic(), p))));
        return out;
    }

    private static Optional<String> optional(String s) {
        return s.isEmpty() ? Optional.empty() : Optional.of(s);
    }

    /** Calls the active groups coordinator, as {@link #callController} does the replication controller. */
    private <R> R callGroups(Function<GroupsGrpc.GroupsBlockingStub, R> method) {
        return groupsCoordinator.call(channel -> method.apply(GroupsGrpc.newBlockingStub(channel)
                .withDeadlineAfter(requestTimeoutMs, TimeUnit.MILLISECONDS)));
    }

    private static ClientQuota toQuota(io.strata.proto.v1.ClientQuota q) {
        return new ClientQuota(q.getDefaultEntity() ? Optional.empty() : Optional.of(q.getClientId()),
                q.hasProducerByteRate() ? OptionalLong.of(q.getProducerByteRate()) : OptionalLong.empty(),
                q.hasConsumerByteRate() ? OptionalLong.of(q.getConsumerByteRate()) : OptionalLong.empty());
    }

    private <R> R call(Function<CoordinationGrpc.CoordinationBlockingStub, R> method) {
        StrataException last = null;
        int start = preferred;
        for (int i = 0; i < bootstrap.size(); i++) {
            int index = (start + i) % bootstrap.size();
            Address address = bootstrap.get(index);
            try {
                R answer = method.apply(CoordinationGrpc.newBlockingStub(channels.channel(address))
                        .withDeadlineAfter(requestTimeoutMs, TimeUnit.MILLISECONDS));
                preferred = index;
                return answer;
            } catch (StatusRuntimeException e) {
                last = Errors.toStrataException(e, address.toString());
                boolean unreachable = last.reason() == ErrorCode.ERROR_CODE_UNSPECIFIED && last.retriable();
                if (!unreachable) {
                    throw last;
                }
            }
        }
        throw last;
    }

    private static TopicListing toListing(TopicSummary s) {
        return new TopicListing(s.getName(), s.getTopicId(), s.getPartitions(), s.getReplicationFactor());
    }

    private static TopicDescription toDescription(io.strata.proto.v1.TopicDescription d) {
        Map<Integer, List<Integer>> targets = new java.util.HashMap<>();
        for (PartitionState p : d.getPartitionsList()) {
            if (p.getTargetReplicasCount() > 0) {
                targets.put(p.getPartition(), p.getTargetReplicasList());
            }
        }
        return new TopicDescription(d.getName(), d.getTopicId(),
                ClusterSnapshot.partitionInfos(d.getName(), d.getPartitionsList()),
                d.getConfigsMap(), d.getOverridesMap(), targets);
    }

    /** Closes the connections. */
    @Override
    public void close() {
        channels.close();
    }
}
