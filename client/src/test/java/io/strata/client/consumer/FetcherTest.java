package io.strata.client.consumer;

import io.strata.client.TopicPartition;
import io.strata.records.Record;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class FetcherTest {

    private static final TopicPartition P0 = new TopicPartition("t", 0);
    private static final TopicPartition P1 = new TopicPartition("t", 1);
    private static final TopicPartition P2 = new TopicPartition("t", 2);

    private final Fetcher fetcher = new Fetcher(new ConsumerConfig(Map.of("bootstrap.servers", "h:1")), null, null,
            Clock.systemUTC());

    private void buffer(TopicPartition tp, int count) {
        PartitionFetchState s = fetcher.state(tp);
        s.position = 0L;
        for (int i = 0; i < count; i++) {
            s.buffered.add(new Record(i, 0, null, new byte[0], List.of()));
        }
        s.bufferedNextOffset = count;
    }

    private List<String> drain(int max) {
        return fetcher.drain(max, (tp, r) -> tp.partition() + ":" + r.offset());
    }

    @Test
    void aPartitionIsReadUntilItsBufferIsEmptyBeforeTheNextOne() {
        fetcher.assign(List.of(P0, P1, P2), false);
        buffer(P0, 5);
        buffer(P1, 3);
        buffer(P2, 2);

        List<String> polls = new ArrayList<>();
        polls.addAll(drain(2));
        polls.addAll(drain(2));
        assertThat(polls).containsExactly("0:0", "0:1", "0:2", "0:3");
        assertThat(fetcher.state(P1).buffered).hasSize(3); // untouched while partition 0 has records

        assertThat(drain(4)).containsExactly("0:4", "1:0", "1:1", "1:2");
        assertThat(fetcher.state(P0).buffered).isEmpty(); // so its next fetch can be in flight meanwhile
        assertThat(drain(4)).containsExactly("2:0", "2:1");
    }

    @Test
    void theTurnMovesOnToTheNextPartitionAfterOneIsEmptied() {
        fetcher.assign(List.of(P0, P1, P2), false);
        buffer(P0, 2);
        buffer(P1, 2);
        assertThat(drain(2)).containsExactly("0:0", "0:1");

        buffer(P0, 2); // refetched meanwhile: it waits for its turn
        assertThat(drain(3)).containsExactly("1:0", "1:1", "0:0");
    }

    @Test
    void aPausedPartitionIsSkippedAndKeepsItsRecords() {
        fetcher.assign(List.of(P0, P1), false);
        buffer(P0, 2);
        buffer(P1, 2);
        fetcher.state(P0).paused = true;

        assertThat(drain(10)).containsExactly("1:0", "1:1");
        assertThat(fetcher.state(P0).buffered).hasSize(2);
    }
}
