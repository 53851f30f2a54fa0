package io.strata.coordination.topics;

import io.strata.coordination.layout.Keys;
import io.strata.coordination.layout.StoredValues;
import io.strata.coordination.store.KeyRange;
import io.strata.coordination.store.KeyValue;
import io.strata.proto.v1.PartitionAssignment;
import io.strata.proto.v1.PartitionState;
import io.strata.proto.v1.TopicDescription;
import io.strata.proto.v1.TopicMetadata;
import io.strata.proto.v1.TopicRecord;
import io.strata.proto.v1.TopicSummary;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Topics and their partitions as read at one revision (a read of {@code topics/} and
 * {@code partitions/} together), with the views the API answers. Immutable.
 */
public final class TopicTable {

    /** One topic: its record, the key's revisions, and its partitions sorted by number. */
    public record Topic(TopicRecord record, long createRevision, long modRevision, List<PartitionState> partitions) {

        public String name() {
            return record.getName();
        }

        public TopicDescription description(TopicDefaults defaults) {
            return TopicDescription.newBuilder()
                    .setName(name())
                    .setTopicId(record.getTopicId())
                    .addAllPartitions(partitions)
                    .putAllConfigs(defaults.effective(record.getConfigsMap()))
                    .putAllOverrides(record.getConfigsMap())
                    .build();
        }

        /** The topic as GetMetadata answers it: configs are the overrides (the defaults go once per answer). */
        public TopicMetadata metadata() {
            return TopicMetadata.newBuilder()
                    .setName(name())
                    .setTopicId(record.getTopicId())
                    .addAllPartitions(partitions)
                    .putAllConfigs(record.getConfigsMap())
                    .build();
        }

        public TopicSummary summary() {
            return TopicSummary.newBuilder()
                    .setName(name())
                    .setTopicId(record.getTopicId())
                    .setPartitions(record.getPartitions())
                    .setReplicationFactor(record.getReplicationFactor())
                    .build();
        }
    }

    private final SortedMap<String, Topic> topics;
    private final long revision;

    private TopicTable(SortedMap<String, Topic> topics, long revision) {
        this.topics = Collections.unmodifiableSortedMap(topics);
        this.revision = revision;
    }

    /**
     * Builds the table from a read of {@link Keys#TOPICS} and {@link Keys#PARTITIONS} (other
     * keys are ignored). Partitions without their topic record are left out.
     */
    public static TopicTable from(KeyRange range) {
        Map<String, KeyValue> records = new HashMap<>();
        Map<String, List<PartitionState>> partitions = new HashMap<>();
        for (KeyValue kv : range.kvs()) {
            if (kv.key().startsWith(Keys.TOPICS)) {
                records.put(Keys.topicName(kv.key()), kv);
            } else if (kv.key().startsWith(Keys.PARTITIONS)) {
                partitions.computeIfAbsent(Keys.topicOfPartition(kv.key()), t -> new ArrayList<>())
                        .add(StoredValues.parse(kv, PartitionState.parser()));
            }
        }
        SortedMap<String, Topic> topics = new TreeMap<>();
        for (Map.Entry<String, KeyValue> e : records.entrySet()) {
            TopicRecord record = StoredValues.parse(e.getValue(), TopicRecord.parser());
            List<PartitionState> states = new ArrayList<>(partitions.getOrDefault(e.getKey(), List.of()));
            states.sort(Comparator.comparingInt(PartitionState::getPartition));
            topics.put(e.getKey(), new Topic(record, e.getValue().createRevision(), e.getValue().modRevision(), List.copyOf(states)));
        }
        return new TopicTable(topics, range.revision());
    }

    public Optional<Topic> get(String name) {
        return Optional.ofNullable(topics.get(name));
    }

    /** Every topic, sorted by name. */
    public List<Topic> all() {
        return List.copyOf(topics.values());
    }

    public long revision() {
        return revision;
    }

    /** Every partition with {@code nodeId} among its replicas, sorted by topic and partition. */
    public List<PartitionAssignment> assignmentsOf(int nodeId, TopicDefaults defaults) {
        List<PartitionAssignment> result = new ArrayList<>();
        for (Topic topic : topics.values()) {
            Map<String, String> configs = null;
            for (PartitionState state : topic.partitions()) {
                if (state.getReplicasList().contains(nodeId)) {
                    if (configs == null) {
                        configs = defaults.effective(topic.record().getConfigsMap());
                    }
                    result.add(PartitionAssignment.newBuilder()
                            .setState(state)
                            .setTopicId(topic.record().getTopicId())
                            .putAllConfigs(configs)
                            .build());
                }
            }
        }
        return result;
    }
}
