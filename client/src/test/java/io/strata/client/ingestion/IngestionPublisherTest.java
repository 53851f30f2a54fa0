package io.strata.client.ingestion;

import io.strata.client.StrataException;
import io.strata.client.producer.ProducerRecord;
import io.strata.client.producer.RecordMetadata;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.PublishResponse;
import io.strata.proto.v1.PublishResult;
import io.strata.proto.v1.PublishResultRun;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IngestionPublisherTest {

    private static final List<ProducerRecord<byte[], byte[]>> RECORDS = List.of(
            new ProducerRecord<>("a", new byte[1]), new ProducerRecord<>("a", new byte[1]),
            new ProducerRecord<>("b", new byte[1]));

    @Test
    void runsAreExpandedIntoOneOutcomePerRecord() {
        PublishResponse answer = PublishResponse.newBuilder()
                .addRuns(PublishResultRun.newBuilder().setPartition(2).setFirstOffset(40).setTimestampMs(7).setCount(2))
                .addRuns(PublishResultRun.newBuilder().setPartition(0).setFirstOffset(-1).setTimestampMs(8).setCount(1))
                .build();

        assertThat(IngestionPublisher.outcomes(RECORDS, answer)).extracting(PublishOutcome::metadata).containsExactly(
                new RecordMetadata("a", 2, 40, 7), new RecordMetadata("a", 2, 41, 7), new RecordMetadata("b", 0, -1, 8));
    }

    @Test
    void perRecordResultsStillWork() {
        PublishResponse answer = PublishResponse.newBuilder()
                .addResults(PublishResult.newBuilder().setPartition(1).setOffset(3).setTimestampMs(4))
                .addResults(PublishResult.newBuilder().setPartition(1).setOffset(4).setTimestampMs(4))
                .addResults(PublishResult.newBuilder().setPartition(-1).setOffset(-1)
                        .setError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION).setErrorMessage("no topic b"))
                .build();

        List<PublishOutcome> outcomes = IngestionPublisher.outcomes(RECORDS, answer);

        assertThat(outcomes.get(1).metadata()).isEqualTo(new RecordMetadata("a", 1, 4, 4));
        assertThat(outcomes.get(2).succeeded()).isFalse();
        assertThat(outcomes.get(2).error().reason()).isEqualTo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    }

    @Test
    void anAnswerForADifferentNumberOfRecordsIsAnError() {
        PublishResponse tooFew = PublishResponse.newBuilder()
                .addRuns(PublishResultRun.newBuilder().setPartition(2).setFirstOffset(40).setCount(2)).build();
        assertThatThrownBy(() -> IngestionPublisher.outcomes(RECORDS, tooFew))
                .isInstanceOf(StrataException.class).hasMessageContaining("2 results for 3 records");
    }
}
