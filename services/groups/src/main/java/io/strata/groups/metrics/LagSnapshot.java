package io.strata.groups.metrics;

import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.strata.proto.v1.GroupDescription;
import io.strata.proto.v1.PartitionLag;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The consumer-group gauges' values, computed in one pass over the coordinator's
 * {@code describeAll()}, with kafka_exporter's names and labels so its dashboards and alerts work
 * unchanged (docs/METRICS.md):
 * <ul>
 *   <li>{@code kafka_consumergroup_current_offset{consumergroup,topic,partition}}: the committed
 *       offset, -1 when none is (as kafka_exporter);</li>
 *   <li>{@code kafka_consumergroup_current_offset_sum{consumergroup,topic}}: their sum, committed ones only;</li>
 *   <li>{@code kafka_consumergroup_lag{consumergroup,topic,partition}}: log end offset − committed,
 *       -1 when nothing is committed (kafka_exporter's marker, to alert on); absent when the log
 *       end offset is unknown (leader unreachable: {@code log_end_offset} < 0), never guessed;</li>
 *   <li>{@code kafka_consumergroup_lag_sum{consumergroup,topic}}: the sum of the known lags (the
 *       -1 markers left out), for every topic with at least one partition's lag;</li>
 *   <li>{@code kafka_consumergroup_members{consumergroup}}: live members, for every group, also
 *       those with none (offsets only).</li>
 * </ul>
 * Pure.
 */
final class LagSnapshot {

    static final String CURRENT_OFFSET = "kafka.consumergroup.current.offset";
    static final String CURRENT_OFFSET_SUM = "kafka.consumergroup.current.offset.sum";
    static final String LAG = "kafka.consumergroup.lag";
    static final String LAG_SUM = "kafka.consumergroup.lag.sum";
    static final String MEMBERS = "kafka.consumergroup.members";

    /** What each gauge name says on /q/metrics (kafka_exporter's words). */
    static final Map<String, String> DESCRIPTIONS = Map.of(
            CURRENT_OFFSET, "Current Offset of a ConsumerGroup at Topic/Partition",
            CURRENT_OFFSET_SUM, "Current Offset of a ConsumerGroup at Topic for all partitions",
            LAG, "Current Approximate Lag of a ConsumerGroup at Topic/Partition",
            LAG_SUM, "Current Approximate Lag of a ConsumerGroup at Topic for all partitions",
            MEMBERS, "Amount of members in a consumer group");

    /** One gauge: its name and tags. */
    record Key(String name, Tags tags) {
    }

    static final LagSnapshot EMPTY = new LagSnapshot(Map.of());

    private final Map<Key, Double> values;

    private LagSnapshot(Map<Key, Double> values) {
        this.values = values;
    }

    static LagSnapshot of(List<GroupDescription> groups) {
        Map<Key, Double> values = new LinkedHashMap<>();
        for (GroupDescription g : groups) {
            String group = g.getGroupId();
            values.put(new Key(MEMBERS, Tags.of(Tag.of("consumergroup", group))), (double) g.getMembersCount());
            Map<String, long[]> perTopic = new HashMap<>(); // {committed sum, any committed, lag sum, any lag}
            for (PartitionLag p : g.getPartitionsList()) {
                Tags partitionTags = Tags.of(Tag.of("consumergroup", group), Tag.of("topic", p.getTopic()),
                        Tag.of("partition", Integer.toString(p.getPartition())));
                long[] sums = perTopic.computeIfAbsent(p.getTopic(), t -> new long[4]);
                boolean committed = p.getCommitted() >= 0;
                values.put(new Key(CURRENT_OFFSET, partitionTags), committed ? (double) p.getCommitted() : -1.0);
                if (committed) {
                    sums[0] += p.getCommitted();
                    sums[1] = 1;
                }
                if (p.getLogEndOffset() >= 0) {
                    long lag = committed ? p.getLag() : -1;
                    values.put(new Key(LAG, partitionTags), (double) lag);
                    if (committed) {
                        sums[2] += lag;
                    }
                    sums[3] = 1;
                }
            }
            perTopic.forEach((topic, sums) -> {
                Tags topicTags = Tags.of(Tag.of("consumergroup", group), Tag.of("topic", topic));
                if (sums[1] == 1) {
                    values.put(new Key(CURRENT_OFFSET_SUM, topicTags), (double) sums[0]);
                }
                if (sums[3] == 1) {
                    values.put(new Key(LAG_SUM, topicTags), (double) sums[2]);
                }
            });
        }
        return new LagSnapshot(Map.copyOf(values));
    }

    Map<Key, Double> values() {
        return values;
    }
}
