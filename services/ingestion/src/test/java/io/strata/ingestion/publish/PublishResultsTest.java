package io.strata.ingestion.publish;

import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.PublishResponse;
import io.strata.proto.v1.PublishResult;
import io.strata.proto.v1.PublishResultRun;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class PublishResultsTest {

    private static PublishResultRun run(int partition, long firstOffset, long timestamp, int count) {
        return PublishResultRun.newBuilder().setPartition(partition).setFirstOffset(firstOffset).setTimestampMs(timestamp)
                .setCount(count).build();
    }

    @Test
    void consecutiveOffsetsOfOnePartitionAndTimestampAreOneRunAndAnythingElseStartsTheNext() {
        PublishResults r = new PublishResults(7);
        r.succeeded(0, 2, 100, 5);
        r.succeeded(1, 2, 101, 5);
        r.succeeded(2, 2, 102, 5);
        r.succeeded(3, 2, 104, 5); // a gap: another request's record took 103
        r.succeeded(4, 2, 105, 6); // another millisecond
        r.succeeded(5, 0, 106, 6); // another partition
        r.succeeded(6, 0, 107, 6);

        PublishResponse answer = PublishResults.answer(List.of(r), true);

        assertThat(answer.getResultsList()).isEmpty();
        assertThat(answer.getRunsList()).containsExactly(run(2, 100, 5, 3), run(2, 104, 5, 1), run(2, 105, 6, 1),
                run(0, 106, 6, 2));
    }

    @Test
    void runsGoOnAcrossTheRequestsOfAStream() {
        PublishResults first = new PublishResults(2);
        first.succeeded(0, 1, 10, 7);
        first.succeeded(1, 1, 11, 7);
        PublishResults second = new PublishResults(1);
        second.succeeded(0, 1, 12, 7);
        assertThat(PublishResults.answer(List.of(first, second), true).getRunsList()).containsExactly(run(1, 10, 7, 3));
    }

    @Test
    void spooledRecordsWithoutOffsetsRunTogetherAtMinusOne() {
        PublishResults spooled = PublishResults.of(List.of(
                PublishResult.newBuilder().setPartition(3).setOffset(-1).setTimestampMs(9).build(),
                PublishResult.newBuilder().setPartition(3).setOffset(-1).setTimestampMs(9).build()));
        assertThat(PublishResults.answer(List.of(spooled), true).getRunsList()).containsExactly(run(3, -1, 9, 2));
    }

    @Test
    void aFailedRecordOrAClientThatDidNotAskGetsOneResultPerRecord() {
        PublishResult failure = PublishResult.newBuilder().setPartition(-1).setOffset(-1)
                .setError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION).setErrorMessage("no topic t2").build();
        PublishResults r = new PublishResults(2);
        r.succeeded(0, 4, 50, 1);
        r.failed(1, failure);

        PublishResponse answer = PublishResults.answer(List.of(r), true);

        assertThat(answer.getRunsList()).isEmpty();
        assertThat(answer.getResultsList()).containsExactly(
                PublishResult.newBuilder().setPartition(4).setOffset(50).setTimestampMs(1).build(), failure);

        PublishResults ok = new PublishResults(1);
        ok.succeeded(0, 4, 51, 1);
        assertThat(PublishResults.answer(List.of(ok), false).getResultsList())
                .containsExactly(PublishResult.newBuilder().setPartition(4).setOffset(51).setTimestampMs(1).build());
    }

    @Test
    void noRecordsIsAnEmptyAnswer() {
        assertThat(PublishResults.answer(List.of(new PublishResults(0)), true)).isEqualTo(PublishResponse.getDefaultInstance());
    }
}
