package io.strata.client.producer;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Kafka's default partitioning: a keyed record goes to
 * {@code toPositive(murmur2(keyBytes)) % numPartitions} (see {@link Murmur2}); records without a
 * key stick to one partition per topic until its batch is filled or sent
 * ({@link #onNewBatch}), then move to another partition chosen at random, so keyless records
 * form full batches instead of many small ones. Thread-safe.
 */
public final class DefaultPartitioner implements Partitioner {

    private final ConcurrentHashMap<String, Integer> sticky = new ConcurrentHashMap<>();

    @Override
    public int partition(String topic, byte[] keyBytes, int numPartitions) {
        if (keyBytes != null) {
            return Murmur2.partitionForKey(keyBytes, numPartitions);
        }
        Integer current = sticky.get(topic);
        if (current != null && current < numPartitions) {
            return current;
        }
        return sticky.compute(topic, (t, old) -> old != null && old < numPartitions ? old
                : ThreadLocalRandom.current().nextInt(numPartitions));
    }

    @Override
    public void onNewBatch(String topic, int numPartitions, int previousPartition) {
        sticky.compute(topic, (t, old) -> {
            if (old != null && old != previousPartition && old < numPartitions) {
                return old; // another thread already moved on
            }
            if (numPartitions <= 1) {
                return 0;
            }
            int next = ThreadLocalRandom.current().nextInt(numPartitions - 1);
            return next >= previousPartition ? next + 1 : next;
        });
    }
}
