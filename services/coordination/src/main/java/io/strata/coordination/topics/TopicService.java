package io.strata.coordination.topics;

import io.strata.coordination.CoordinationException;
import io.strata.coordination.layout.Keys;
import io.strata.coordination.layout.StoredValues;
import io.strata.coordination.nodes.LiveNodes;
import io.strata.coordination.store.Compare;
import io.strata.coordination.store.KeyValue;
import io.strata.coordination.store.MetadataStore;
import io.strata.coordination.store.Op;
import io.strata.coordination.store.TxnResult;
import io.strata.proto.TopicConfigs;
import io.strata.proto.TopicNames;
import io.strata.proto.v1.AlterTopicConfigRequest;
import io.strata.proto.v1.CreateTopicRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.NodeRecord;
import io.strata.proto.v1.NodeRole;
import io.strata.proto.v1.PartitionState;
import io.strata.proto.v1.TopicDescription;
import io.strata.proto.v1.TopicRecord;
import io.strata.proto.v1.TopicSummary;
import io.strata.proto.v1.UpdatePartitionStateRequest;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Topic administration and partition state, on the metadata store; no gRPC here. Every
 * method validates its input and throws {@link CoordinationException} with the reason the
 * API documents; the store's own failures pass through as
 * {@link io.strata.coordination.store.MetadataStoreException}. Thread-safe (stateless; every
 * write is a compare-and-set transaction, so concurrent callers and other coordination
 * instances never lose an update).
 *
 * <h2>How a topic is stored</h2>
 * {@code topics/<name>} holds the {@link TopicRecord}; every partition has its own key
 * {@code partitions/<name>/<n>} holding its {@link PartitionState}, so a leader or ISR change
 * rewrites one small key. Creation is one transaction when it fits etcd's
 * {@value MetadataStore#MAX_TXN_OPS}-op limit (up to 127 partitions): "topic absent" guards
 * the record and the partitions. A bigger topic is written in chunks: the first transaction
 * creates the record (guarded by "absent") with the first 127 partitions, each later one
 * adds up to 128 partitions guarded by the record's create revision, so no partition is ever
 * written for a topic that was deleted or re-created meanwhile, and no orphan partition can
 * exist without its record. The price: a reader may see a big topic with some of its
 * partitions missing while creation runs, or for good if coordination dies mid-way (delete
 * and re-create it; automatic repair belongs to the replication controller). Deletion is one
 * transaction (the record plus a prefix delete of its partitions).
 */
public final class TopicService {

    /** The most partitions one topic may have (a guard against typos creating millions of keys). */
    public static final int MAX_PARTITIONS = 10_000;

    private static final Logger LOG = Logger.getLogger(TopicService.class);
    private static final int CAS_ATTEMPTS = 10;

    private final MetadataStore store;
    private final TopicDefaults defaults;
    private final ReplicaPlacement placement;
    private final Clock clock;

    public TopicService(MetadataStore store, TopicDefaults defaults, ReplicaPlacement placement, Clock clock) {
        this.store = store;
        this.defaults = defaults;
        this.placement = placement;
        this.clock = clock;
    }

    public TopicDefaults defaults() {
        return defaults;
    }

    /**
     * Creates a topic (or, with {@code validate_only}, checks that it could be created).
     *
     * @throws CoordinationException INVALID_TOPIC, INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR,
     *     INVALID_CONFIG, TOPIC_ALREADY_EXISTS, NOT_ENOUGH_NODES
     */
    public TopicDescription create(CreateTopicRequest request) {
        String name = request.getName();
        checkName(name);
        int partitions = request.getPartitions() == 0 ? defaults.numPartitions() : request.getPartitions();
        if (partitions < 1 || partitions > MAX_PARTITIONS) {
            throw new CoordinationException(ErrorCode.INVALID_PARTITIONS, "partitions must be in [1, " + MAX_PARTITIONS
                    + "], or 0 for the cluster default (num.partitions=" + defaults.numPartitions() + "); got " + request.getPartitions());
        }
        int requestedRf = request.getReplicationFactor();
        if (requestedRf < 0) {
            throw new CoordinationException(ErrorCode.INVALID_REPLICATION_FACTOR, "replication factor must be at least 1, or 0 for"
                    + " the cluster default (" + defaultRfText() + "); got " + requestedRf);
        }
        String configError = TopicConfigs.validate(request.getConfigsMap());
        if (configError != null) {
            throw new CoordinationException(ErrorCode.INVALID_CONFIG, "topic '" + name + "': " + configError);
        }
        store.get(Keys.topic(name)).ifPresent(kv -> {
            throw alreadyExists(name, kv);
        });
        List<NodeRecord> live = LiveNodes.read(store, NodeRole.STORAGE);
        if (live.isEmpty()) {
            throw new CoordinationException(ErrorCode.NOT_ENOUGH_NODES, "cannot place topic '" + name
                    + "': no storage node is live; start one (or wait for it to register) and retry");
        }
        boolean chosenHere = requestedRf == 0 && defaults.replicationFactorChosenPerTopic();
        int rf = requestedRf == 0 ? defaults.replicationFactorFor(live.size()) : requestedRf;
        if (rf > live.size()) {
            throw new CoordinationException(ErrorCode.INVALID_REPLICATION_FACTOR, "replication factor " + rf
                    + (requestedRf == 0 ? " (default.replication.factor)" : "")
                    + " is larger than the number of live storage nodes: requested " + rf + ", live storage nodes " + live.size());
        }
        Map<String, String> overrides = defaults.creationOverrides(rf, request.getConfigsMap());
        List<List<Integer>> assignment = placement.assign(live, partitions, rf);
        TopicRecord record = TopicRecord.newBuilder()
                .setName(name)
                .setTopicId(request.getValidateOnly() ? "" : UUID.randomUUID().toString())
                .setPartitions(partitions)
                .setReplicationFactor(rf)
                .putAllConfigs(overrides)
                .setCreatedMs(clock.millis())
                .build();
        List<PartitionState> states = new ArrayList<>(partitions);
        for (int p = 0; p < partitions; p++) {
            List<Integer> replicas = assignment.get(p);
            states.add(PartitionState.newBuilder()
                    .setTopic(name)
                    .setPartition(p)
                    .addAllReplicas(replicas)
                    .setLeader(replicas.get(0))
                    .setLeaderEpoch(0)
                    .addAllIsr(replicas)
                    .setPartitionEpoch(0)
                    .build());
        }
        if (!request.getValidateOnly()) {
            write(record, states);
            if (chosenHere) {
                LOG.infof("topic %s: replication factor %d = min(%d, %d live storage nodes), as the request gave none and"
                                + " default.replication.factor is not set%s", name, rf, TopicDefaults.MAX_AUTO_REPLICATION_FACTOR,
                        live.size(), overrides.containsKey(TopicConfigs.MIN_INSYNC_REPLICAS)
                                && !request.getConfigsMap().containsKey(TopicConfigs.MIN_INSYNC_REPLICAS)
                                ? "; min.insync.replicas=" + overrides.get(TopicConfigs.MIN_INSYNC_REPLICAS) : "");
            }
            LOG.infof("created topic %s (id %s, %d partitions, replication factor %d, overrides %s)", name, record.getTopicId(),
                    partitions, rf, record.getConfigsMap());
        }
        return new TopicTable.Topic(record, 0, 0, states).description(defaults);
    }

    private String defaultRfText() {
        return defaults.replicationFactor().isPresent() ? "default.replication.factor=" + defaults.replicationFactor().getAsInt()
                : "min(" + TopicDefaults.MAX_AUTO_REPLICATION_FACTOR + ", live storage nodes)";
    }

    private void write(TopicRecord record, List<PartitionState> states) {
        String name = record.getName();
        String topicKey = Keys.topic(name);
        int firstChunk = Math.min(states.size(), MetadataStore.MAX_TXN_OPS - 1);
        List<Op> ops = new ArrayList<>(firstChunk + 1);
        ops.add(Op.put(topicKey, record.toByteArray()));
        for (PartitionState s : states.subList(0, firstChunk)) {
            ops.add(Op.put(Keys.partition(name, s.getPartition()), s.toByteArray()));
        }
        TxnResult created = store.txn(List.of(Compare.absent(topicKey)), ops);
        if (!created.succeeded()) {
            throw store.get(topicKey).map(kv -> alreadyExists(name, kv))
                    .orElseGet(() -> new CoordinationException(ErrorCode.TOPIC_ALREADY_EXISTS,
                            "topic '" + name + "' was created and deleted concurrently; retry"));
        }
        for (int from = firstChunk; from < states.size(); from += MetadataStore.MAX_TXN_OPS) {
            List<Op> chunk = new ArrayList<>();
            for (PartitionState s : states.subList(from, Math.min(states.size(), from + MetadataStore.MAX_TXN_OPS))) {
                chunk.add(Op.put(Keys.partition(name, s.getPartition()), s.toByteArray()));
            }
            if (!store.txn(List.of(Compare.createRevision(topicKey, created.revision())), chunk).succeeded()) {
                throw new CoordinationException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "topic '" + name
                        + "' was deleted while it was being created (" + from + " of " + states.size() + " partitions written)");
            }
        }
    }

    /**
     * Deletes a topic and all its partitions.
     *
     * @return the deleted topic's id
     * @throws CoordinationException INVALID_TOPIC, UNKNOWN_TOPIC_OR_PARTITION
     */
    public String delete(String name) {
        checkName(name);
        for (int attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
            KeyValue kv = store.get(Keys.topic(name)).orElseThrow(() -> unknownTopic(name));
            TopicRecord record = StoredValues.parse(kv, TopicRecord.parser());
            TxnResult result = store.txn(List.of(Compare.createRevision(kv.key(), kv.createRevision())),
                    List.of(Op.delete(kv.key()), Op.deletePrefix(Keys.partitionsOf(name))));
            if (result.succeeded()) {
                LOG.infof("deleted topic %s (id %s)", name, record.getTopicId());
                return record.getTopicId();
            }
        }
        throw new CoordinationException(ErrorCode.CAS_FAILED, "topic '" + name + "' was re-created " + CAS_ATTEMPTS
                + " times while being deleted; retry");
    }

    /** Every topic, sorted by name. */
    public List<TopicSummary> list() {
        return TopicTable.from(store.getPrefix(Keys.TOPICS)).all().stream().map(TopicTable.Topic::summary).toList();
    }

    /**
     * One topic with its partitions and effective config.
     *
     * @throws CoordinationException INVALID_TOPIC, UNKNOWN_TOPIC_OR_PARTITION
     */
    public TopicDescription describe(String name) {
        checkName(name);
        return read(name).description(defaults);
    }

    private TopicTable.Topic read(String name) {
        // "topics/<name>" as a prefix also reads "topics/<name>x..."; TopicTable keys by exact name.
        TopicTable table = TopicTable.from(store.getPrefixes(List.of(Keys.topic(name), Keys.partitionsOf(name))));
        return table.get(name).orElseThrow(() -> unknownTopic(name));
    }

    /**
     * Sets and removes config overrides; retries when the record changes under it.
     *
     * @throws CoordinationException INVALID_TOPIC, INVALID_CONFIG, UNKNOWN_TOPIC_OR_PARTITION,
     *     CAS_FAILED (after {@value #CAS_ATTEMPTS} lost races in a row)
     */
    public TopicDescription alterConfig(AlterTopicConfigRequest request) {
        String name = request.getName();
        checkName(name);
        String error = TopicConfigs.validate(request.getSetMap());
        if (error != null) {
            throw new CoordinationException(ErrorCode.INVALID_CONFIG, "topic '" + name + "': " + error);
        }
        for (String key : request.getDeleteList()) {
            if (TopicConfigs.definition(key) == null) {
                throw new CoordinationException(ErrorCode.INVALID_CONFIG, "topic '" + name + "': cannot delete unknown topic config '"
                        + key + "' (known: " + String.join(", ", TopicConfigs.keys()) + ")");
            }
            if (request.getSetMap().containsKey(key)) {
                throw new CoordinationException(ErrorCode.INVALID_CONFIG, "topic '" + name + "': config '" + key
                        + "' is both set and deleted in one request");
            }
        }
        for (int attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
            KeyValue kv = store.get(Keys.topic(name)).orElseThrow(() -> unknownTopic(name));
            TopicRecord record = StoredValues.parse(kv, TopicRecord.parser());
            Map<String, String> configs = new TreeMap<>(record.getConfigsMap());
            configs.putAll(request.getSetMap());
            request.getDeleteList().forEach(configs::remove);
            if (configs.equals(new TreeMap<>(record.getConfigsMap()))) {
                return describe(name);
            }
            TopicRecord updated = record.toBuilder().clearConfigs().putAllConfigs(configs).build();
            if (store.txn(List.of(Compare.modRevision(kv.key(), kv.modRevision())),
                    List.of(Op.put(kv.key(), updated.toByteArray()))).succeeded()) {
                LOG.infof("topic %s config overrides now %s", name, configs);
                return describe(name);
            }
        }
        throw new CoordinationException(ErrorCode.CAS_FAILED, "topic '" + name + "' changed concurrently " + CAS_ATTEMPTS
                + " times in a row; retry");
    }

    /**
     * Replaces a partition's state if its partition epoch is still the expected one, and bumps
     * the epoch. The caller (the replication controller) decides leader, leader epoch and ISR;
     * this checks they are consistent: replicas distinct and non-negative, ISR a subset of
     * the replicas, the leader -1 or in the ISR, the leader epoch never lower, and higher
     * whenever the leader changes.
     *
     * @return the stored state
     * @throws CoordinationException INVALID_TOPIC, INVALID_REQUEST, UNKNOWN_TOPIC_OR_PARTITION, CAS_FAILED
     */
    public PartitionState updatePartitionState(UpdatePartitionStateRequest request) {
        if (!request.hasState()) {
            throw new CoordinationException(ErrorCode.INVALID_REQUEST, "state is missing");
        }
        PartitionState wanted = request.getState();
        checkName(wanted.getTopic());
        String partition = wanted.getTopic() + "-" + wanted.getPartition();
        checkStateShape(wanted, partition);
        if (request.getExpectedPartitionEpoch() < 0) {
            throw new CoordinationException(ErrorCode.INVALID_REQUEST, "expected_partition_epoch must be >= 0, got "
                    + request.getExpectedPartitionEpoch());
        }
        String key = Keys.partition(wanted.getTopic(), wanted.getPartition());
        KeyValue kv = store.get(key).orElseThrow(() -> unknownPartition(partition));
        PartitionState current = StoredValues.parse(kv, PartitionState.parser());
        if (current.getPartitionEpoch() != request.getExpectedPartitionEpoch()) {
            throw epochMoved(partition, current.getPartitionEpoch(), request.getExpectedPartitionEpoch());
        }
        if (wanted.getLeaderEpoch() < current.getLeaderEpoch()) {
            throw new CoordinationException(ErrorCode.INVALID_REQUEST, "partition " + partition + ": leader_epoch "
                    + wanted.getLeaderEpoch() + " is lower than the stored " + current.getLeaderEpoch());
        }
        if (wanted.getLeader() != current.getLeader() && wanted.getLeaderEpoch() == current.getLeaderEpoch()) {
            throw new CoordinationException(ErrorCode.INVALID_REQUEST, "partition " + partition + ": the leader changes from "
                    + current.getLeader() + " to " + wanted.getLeader() + ", so leader_epoch must grow past " + current.getLeaderEpoch());
        }
        PartitionState next = wanted.toBuilder().setPartitionEpoch(current.getPartitionEpoch() + 1).build();
        if (store.txn(List.of(Compare.modRevision(key, kv.modRevision())), List.of(Op.put(key, next.toByteArray()))).succeeded()) {
            return next;
        }
        KeyValue now = store.get(key).orElseThrow(() -> unknownPartition(partition));
        throw epochMoved(partition, StoredValues.parse(now, PartitionState.parser()).getPartitionEpoch(),
                request.getExpectedPartitionEpoch());
    }

    private static void checkStateShape(PartitionState s, String partition) {
        if (s.getPartition() < 0) {
            throw new CoordinationException(ErrorCode.INVALID_REQUEST, "partition number must be >= 0, got " + s.getPartition());
        }
        if (s.getReplicasCount() == 0) {
            throw new CoordinationException(ErrorCode.INVALID_REQUEST, "partition " + partition + ": replicas must not be empty");
        }
        Set<Integer> replicas = new HashSet<>();
        for (int r : s.getReplicasList()) {
            if (r < 0 || !replicas.add(r)) {
                throw new CoordinationException(ErrorCode.INVALID_REQUEST, "partition " + partition
                        + ": replicas must be distinct node ids >= 0, got " + s.getReplicasList());
            }
        }
        Set<Integer> isr = new HashSet<>();
        for (int r : s.getIsrList()) {
            if (!replicas.contains(r) || !isr.add(r)) {
                throw new CoordinationException(ErrorCode.INVALID_REQUEST, "partition " + partition + ": isr " + s.getIsrList()
                        + " must be distinct members of the replicas " + s.getReplicasList());
            }
        }
        if (s.getLeader() != -1 && !isr.contains(s.getLeader())) {
            throw new CoordinationException(ErrorCode.INVALID_REQUEST, "partition " + partition + ": leader " + s.getLeader()
                    + " must be -1 (offline) or a member of the isr " + s.getIsrList());
        }
        if (s.getLeaderEpoch() < 0) {
            throw new CoordinationException(ErrorCode.INVALID_REQUEST, "partition " + partition + ": leader_epoch must be >= 0");
        }
    }

    static void checkName(String name) {
        String error = TopicNames.validate(name);
        if (error != null) {
            throw new CoordinationException(ErrorCode.INVALID_TOPIC, error);
        }
    }

    private static CoordinationException alreadyExists(String name, KeyValue kv) {
        TopicRecord existing = StoredValues.parse(kv, TopicRecord.parser());
        return new CoordinationException(ErrorCode.TOPIC_ALREADY_EXISTS, "topic '" + name + "' already exists (id "
                + existing.getTopicId() + ", " + existing.getPartitions() + " partitions)");
    }

    private static CoordinationException unknownTopic(String name) {
        return new CoordinationException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "topic '" + name + "' does not exist");
    }

    private static CoordinationException unknownPartition(String partition) {
        return new CoordinationException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "partition " + partition + " does not exist");
    }

    private static CoordinationException epochMoved(String partition, int stored, int expected) {
        return new CoordinationException(ErrorCode.CAS_FAILED, "partition " + partition + " is at partition epoch " + stored
                + ", not the expected " + expected + ": re-read its state and retry");
    }
}
