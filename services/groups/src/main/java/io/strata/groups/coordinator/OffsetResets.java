package io.strata.groups.coordinator;

import io.strata.groups.assignor.TopicPartition;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.OffsetCommit;
import io.strata.proto.v1.ResetOffsetsRequest;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The plan of a ResetOffsets request: the new committed offset of every partition of the topic,
 * as Kafka's {@code kafka-consumer-groups --reset-offsets} computes it. {@code to_offset} is clamped
 * to [log start, log end] per partition; {@code to_time_ms} takes the first offset at or after the
 * time (the log end when none is). A partition whose leader did not answer fails the whole plan
 * with NOT_LEADER (retriable): a reset never guesses.
 */
final class OffsetResets {

    private OffsetResets() {
    }

    /** Checks what needs no state: the topic named, a target chosen. */
    static void validate(ResetOffsetsRequest request) {
        RequestValidation.groupId(request.getGroupId());
        if (request.getTopic().isEmpty()) {
            throw RequestValidation.invalid("reset names no topic");
        }
        switch (request.getToCase()) {
            case TO_NOT_SET -> throw RequestValidation.invalid(
                    "reset names no target: set to_earliest, to_latest, to_offset or to_time_ms");
            case TO_TIME_MS -> {
                if (request.getToTimeMs() < 0) {
                    throw RequestValidation.invalid("to_time_ms " + request.getToTimeMs() + " is negative");
                }
            }
            default -> {
            }
        }
    }

    static CompletableFuture<List<OffsetCommit>> plan(PartitionOffsets offsets, ResetOffsetsRequest request,
                                                      int partitionCount, long nowMs) {
        List<TopicPartition> partitions = new ArrayList<>(partitionCount);
        for (int p = 0; p < partitionCount; p++) {
            partitions.add(new TopicPartition(request.getTopic(), p));
        }
        CompletableFuture<Map<TopicPartition, Long>> targets = switch (request.getToCase()) {
            case TO_EARLIEST -> offsets.earliest(partitions);
            case TO_LATEST -> offsets.latest(partitions);
            case TO_TIME_MS -> offsets.forTime(partitions, request.getToTimeMs());
            case TO_OFFSET -> offsets.earliest(partitions).thenCombine(offsets.latest(partitions),
                    (earliest, latest) -> clamp(request.getToOffset(), partitions, earliest, latest));
            case TO_NOT_SET -> throw new IllegalStateException("validated");
        };
        return targets.thenApply(found -> {
            List<TopicPartition> missing = partitions.stream().filter(p -> !found.containsKey(p)).toList();
            if (!missing.isEmpty()) {
                throw new GroupException(ErrorCode.NOT_LEADER, "no leader answered for " + missing
                        + "; nothing was reset, try again");
            }
            List<OffsetCommit> plan = new ArrayList<>(partitions.size());
            for (TopicPartition partition : partitions) {
                plan.add(OffsetCommit.newBuilder()
                        .setTopic(partition.topic())
                        .setPartition(partition.partition())
                        .setOffset(found.get(partition))
                        .setCommitTimestampMs(nowMs)
                        .build());
            }
            return plan;
        });
    }

    /** {@code offset} within each partition's [earliest, latest]; partitions missing from either answer are left out. */
    private static Map<TopicPartition, Long> clamp(long offset, List<TopicPartition> partitions,
                                                   Map<TopicPartition, Long> earliest, Map<TopicPartition, Long> latest) {
        Map<TopicPartition, Long> clamped = new HashMap<>();
        for (TopicPartition partition : partitions) {
            Long low = earliest.get(partition);
            Long high = latest.get(partition);
            if (low != null && high != null) {
                clamped.put(partition, Math.max(low, Math.min(high, offset)));
            }
        }
        return clamped;
    }
}
