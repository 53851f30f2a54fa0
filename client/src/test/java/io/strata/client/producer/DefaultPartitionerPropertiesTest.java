package io.strata.client.producer;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import static org.assertj.core.api.Assertions.assertThat;

/** Properties of {@link DefaultPartitioner} (jqwik: bounded by tries, not by a JUnit timeout). */
class DefaultPartitionerPropertiesTest {

    @Property(tries = 200)
    void partitionIsAlwaysInRange(@ForAll byte[] key, @ForAll @IntRange(min = 1, max = 1000) int partitions) {
        assertThat(new DefaultPartitioner().partition("t", key, partitions)).isBetween(0, partitions - 1);
    }
}
