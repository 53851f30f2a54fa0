package io.strata.client.producer;

import io.strata.client.TopicPartition;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TopicPartitionsTest {

    @Test
    void givesTheSameObjectForEveryRecordOfAPartition() {
        TopicPartitions partitions = new TopicPartitions();
        TopicPartition first = partitions.of("orders", 2, 6);
        assertThat(first).isEqualTo(new TopicPartition("orders", 2));
        assertThat(partitions.of("orders", 2, 6)).isSameAs(first);
        assertThat(partitions.of("payments", 2, 6)).isEqualTo(new TopicPartition("payments", 2));
    }

    @Test
    void followsATopicThatGainedPartitions() {
        TopicPartitions partitions = new TopicPartitions();
        partitions.of("orders", 0, 3);
        assertThat(partitions.of("orders", 5, 6)).isEqualTo(new TopicPartition("orders", 5));
        assertThat(partitions.of("orders", 1, 6)).isEqualTo(new TopicPartition("orders", 1));
    }
}
