package io.strata.groups.coordinator;

import io.strata.groups.assignor.TopicPartition;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Log start and end offsets set by the test; a partition without one is left out of answers (its leader "did not answer"). */
final class FakePartitionOffsets implements PartitionOffsets {

    final Map<TopicPartition, Long> earliest = new ConcurrentHashMap<>();
    final Map<TopicPartition, Long> latest = new ConcurrentHashMap<>();
    /** The answer to forTime, whatever the time. */
    final Map<TopicPartition, Long> forTime = new ConcurrentHashMap<>();
    final AtomicInteger latestCalls = new AtomicInteger();

    void set(String topic, int partition, long start, long end) {
        earliest.put(new TopicPartition(topic, partition), start);
        latest.put(new TopicPartition(topic, partition), end);
    }

    @Override
    public CompletableFuture<Map<TopicPartition, Long>> latest(Collection<TopicPartition> partitions) {
        latestCalls.incrementAndGet();
        return CompletableFuture.completedFuture(pick(latest, partitions));
    }

    @Override
    public CompletableFuture<Map<TopicPartition, Long>> earliest(Collection<TopicPartition> partitions) {
        return CompletableFuture.completedFuture(pick(earliest, partitions));
    }

    @Override
    public CompletableFuture<Map<TopicPartition, Long>> forTime(Collection<TopicPartition> partitions, long timestampMs) {
        return CompletableFuture.completedFuture(pick(forTime, partitions));
    }

    private static Map<TopicPartition, Long> pick(Map<TopicPartition, Long> from, Collection<TopicPartition> partitions) {
        Map<TopicPartition, Long> answer = new HashMap<>();
        for (TopicPartition partition : partitions) {
            Long offset = from.get(partition);
            if (offset != null) {
                answer.put(partition, offset);
            }
        }
        return answer;
    }
}
