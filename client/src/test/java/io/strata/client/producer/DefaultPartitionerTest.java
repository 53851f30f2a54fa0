package io.strata.client.producer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(10)
class DefaultPartitionerTest {

    private final DefaultPartitioner partitioner = new DefaultPartitioner();

    @Test
    void sameKeyAlwaysGoesToTheSamePartition() {
        byte[] key = "order-42".getBytes(StandardCharsets.UTF_8);
        int first = partitioner.partition("t", key, 12);
        for (int i = 0; i < 100; i++) {
            assertThat(partitioner.partition("t", key, 12)).isEqualTo(first);
        }
        assertThat(first).isEqualTo(Murmur2.toPositive(Murmur2.hash(key)) % 12);
    }

    @Test
    void keyedRecordsIgnoreNewBatchEvents() {
        byte[] key = "k".getBytes(StandardCharsets.UTF_8);
        int before = partitioner.partition("t", key, 5);
        partitioner.onNewBatch("t", 5, before);
        assertThat(partitioner.partition("t", key, 5)).isEqualTo(before);
    }

    @Test
    void keylessRecordsStickToOnePartitionUntilANewBatch() {
        int sticky = partitioner.partition("t", null, 8);
        for (int i = 0; i < 50; i++) {
            assertThat(partitioner.partition("t", null, 8)).isEqualTo(sticky);
        }
        partitioner.onNewBatch("t", 8, sticky);
        int next = partitioner.partition("t", null, 8);
        assertThat(next).isNotEqualTo(sticky);
        assertThat(partitioner.partition("t", null, 8)).isEqualTo(next);
    }

    @Test
    void stickyPartitionIsPerTopic() {
        int a = partitioner.partition("a", null, 100);
        partitioner.onNewBatch("b", 100, partitioner.partition("b", null, 100));
        assertThat(partitioner.partition("a", null, 100)).isEqualTo(a);
    }

    @Test
    void keylessRecordsSpreadOverPartitionsAcrossBatches() {
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            int p = partitioner.partition("t", null, 4);
            seen.add(p);
            partitioner.onNewBatch("t", 4, p);
        }
        assertThat(seen).containsExactlyInAnyOrder(0, 1, 2, 3);
    }

    @Test
    void singlePartitionTopicStaysOnPartitionZero() {
        partitioner.onNewBatch("t", 1, 0);
        assertThat(partitioner.partition("t", null, 1)).isZero();
    }
}
