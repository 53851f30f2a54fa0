package io.strata.client.consumer;

import io.strata.client.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(10)
class ProcessedOffsetsTest {

    private static final TopicPartition T0 = new TopicPartition("t", 0);
    private static final TopicPartition T1 = new TopicPartition("t", 1);

    private static ConsumerRecord<String, String> record(TopicPartition tp, long offset) {
        return new ConsumerRecord<>(tp.topic(), tp.partition(), offset, 0, null, "v" + offset, List.of());
    }

    @Test
    void aPartitionWithNothingRememberedSeesEveryRecordForTheFirstTime() {
        ProcessedOffsets processed = new ProcessedOffsets();
        assertThat(processed.firstTime(record(T0, 0))).isTrue();
        assertThat(processed.lastProcessed(T0)).isEmpty();
    }

    @Test
    void recordsAtOrBelowTheLastProcessedOffsetAreDuplicates() {
        ProcessedOffsets processed = new ProcessedOffsets();
        processed.markProcessed(record(T0, 5));

        assertThat(processed.firstTime(record(T0, 4))).isFalse();
        assertThat(processed.firstTime(record(T0, 5))).isFalse();
        assertThat(processed.firstTime(record(T0, 6))).isTrue();
        assertThat(processed.firstTime(record(T1, 0))).as("partitions are independent").isTrue();
    }

    @Test
    void firstTimeDoesNotRememberSoAFailedRecordIsNotTakenForADuplicate() {
        ProcessedOffsets processed = new ProcessedOffsets();
        assertThat(processed.firstTime(record(T0, 3))).isTrue();
        assertThat(processed.firstTime(record(T0, 3))).isTrue();
    }

    @Test
    void anOlderOffsetNeverMovesTheMarkBack() {
        ProcessedOffsets processed = new ProcessedOffsets();
        processed.markProcessed(T0, 9);
        processed.markProcessed(T0, 4);
        assertThat(processed.lastProcessed(T0)).isEqualTo(OptionalLong.of(9));
    }

    @Test
    void committedOffsetsSeedTheMarkOneBelowAndNullsAreSkipped() {
        ProcessedOffsets processed = new ProcessedOffsets();
        Map<TopicPartition, OffsetAndMetadata> committed = new HashMap<>();
        committed.put(T0, new OffsetAndMetadata(10));
        committed.put(T1, null);
        processed.seedFromCommitted(committed);

        assertThat(processed.firstTime(record(T0, 9))).isFalse();
        assertThat(processed.firstTime(record(T0, 10))).isTrue();
        assertThat(processed.lastProcessed(T1)).isEmpty();
    }

    @Test
    void offsetsToCommitAreOneAfterTheLastProcessedRecord() {
        ProcessedOffsets processed = new ProcessedOffsets();
        processed.markProcessed(record(T0, 7));
        assertThat(processed.offsetsToCommit(List.of(T0, T1))).containsExactly(Map.entry(T0, new OffsetAndMetadata(8)));
    }

    @Test
    void aRedeliveryAfterAHandoverIsDroppedWhenSeededFromTheSink() {
        // The previous owner processed 0..7 into the sink (which kept offset 7) but committed only 5.
        ProcessedOffsets processed = new ProcessedOffsets();
        processed.markProcessed(T0, 7); // loaded from the sink in onPartitionsAssigned
        List<Long> handled = new java.util.ArrayList<>();
        for (long offset = 5; offset <= 9; offset++) { // the new owner reads from the committed offset
            ConsumerRecord<String, String> r = record(T0, offset);
            if (processed.firstTime(r)) {
                handled.add(r.offset());
                processed.markProcessed(r);
            }
        }
        assertThat(handled).containsExactly(8L, 9L);
    }

    @Test
    void forgottenPartitionsStartOver() {
        ProcessedOffsets processed = new ProcessedOffsets();
        processed.markProcessed(T0, 3);
        processed.forget(List.of(T0));
        assertThat(processed.firstTime(record(T0, 0))).isTrue();
        assertThatThrownBy(() -> processed.markProcessed(T0, -1)).isInstanceOf(IllegalArgumentException.class);
    }
}
