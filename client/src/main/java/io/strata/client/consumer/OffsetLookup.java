package io.strata.client.consumer;

import io.strata.client.TopicPartition;
import io.strata.client.internal.GrpcCalls;
import io.strata.client.internal.LeaderCalls;
import io.strata.proto.ByteStringViews;
import io.strata.proto.v1.FetchRequest;
import io.strata.proto.v1.FetchResponse;
import io.strata.proto.v1.ListOffsetsRequest;
import io.strata.proto.v1.ListOffsetsResponse;
import io.strata.proto.v1.OffsetSpec;
import io.strata.records.Record;
import io.strata.records.RecordBatches;

import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Offset look-ups against partition leaders: the earliest and latest offsets and the first
 * offset at or after a time, retried by {@link LeaderCalls} until a deadline.
 *
 * <p>Time look-ups: the leader answers at batch granularity (the first batch whose largest
 * timestamp reaches the target). The exact answer is found here by fetching from that offset
 * and skipping the records with a smaller timestamp, batch after batch, up to the high watermark.
 */
final class OffsetLookup {

    private final LeaderCalls leaders;
    private final ConsumerConfig config;

    OffsetLookup(LeaderCalls leaders, ConsumerConfig config) {
        this.leaders = leaders;
        this.config = config;
    }

    /** The earliest (log start) or latest (log end) offset of every partition. */
    Map<TopicPartition, Long> list(Collection<TopicPartition> partitions, OffsetSpec spec, long deadlineMs) {
        Map<TopicPartition, ListOffsetsResponse> answers = leaders.callAll(partitions, deadlineMs,
                (leader, tp) -> GrpcCalls.unary(ListOffsetsRequest.newBuilder()
                        .setTopic(tp.topic()).setPartition(tp.partition()).setSpec(spec)
                        .setLeaderEpoch(leader.epoch()).build(), leaders.stub(leader)::listOffsets));
        Map<TopicPartition, Long> out = new LinkedHashMap<>();
        answers.forEach((tp, a) -> out.put(tp, a.getOffset()));
        return out;
    }

    /**
     * The first record with a timestamp at or after each target, or {@code null} for a partition
     * that has none (yet).
     */
    Map<TopicPartition, OffsetAndTimestamp> forTimes(Map<TopicPartition, Long> targets, long deadlineMs) {
        Map<TopicPartition, ListOffsetsResponse> candidates = leaders.callAll(targets.keySet(), deadlineMs,
                (leader, tp) -> GrpcCalls.unary(ListOffsetsRequest.newBuilder()
                        .setTopic(tp.topic()).setPartition(tp.partition()).setSpec(OffsetSpec.TIMESTAMP)
                        .setTimestampMs(targets.get(tp)).setLeaderEpoch(leader.epoch()).build(),
                        leaders.stub(leader)::listOffsets));
        Map<TopicPartition, OffsetAndTimestamp> out = new LinkedHashMap<>();
        Map<TopicPartition, Long> cursor = new HashMap<>();
        for (TopicPartition tp : targets.keySet()) {
            out.put(tp, null);
            cursor.put(tp, candidates.get(tp).getOffset());
        }
        while (!cursor.isEmpty()) {
            Map<TopicPartition, FetchResponse> fetched = leaders.callAll(cursor.keySet(), deadlineMs,
                    (leader, tp) -> GrpcCalls.unary(FetchRequest.newBuilder()
                            .setTopic(tp.topic()).setPartition(tp.partition()).setOffset(cursor.get(tp))
                            .setMaxBytes(config.maxPartitionFetchBytes()).setMinBytes(0).setMaxWaitMs(0)
                            .setLeaderEpoch(leader.epoch()).setClientId(config.clientId()).build(),
                            leaders.stub(leader)::fetch));
            for (var entry : fetched.entrySet()) {
                TopicPartition tp = entry.getKey();
                FetchResponse response = entry.getValue();
                long from = cursor.get(tp);
                long target = targets.get(tp);
                OffsetAndTimestamp found = null;
                for (Record r : RecordBatches.decode(ByteStringViews.view(response.getBatches()))) {
                    if (r.offset() >= from && r.timestamp() >= target) {
                        found = new OffsetAndTimestamp(r.offset(), r.timestamp());
                        break;
                    }
                }
                long next = response.getNextOffset();
                if (found != null || response.getBatches().isEmpty() || next <= from
                        || next >= response.getHighWatermark()) {
                    out.put(tp, found);
                    cursor.remove(tp);
                } else {
                    cursor.put(tp, next);
                }
            }
        }
        return out;
    }
}
