package io.strata.storage.log;

import io.strata.records.RecordBatch;
import io.strata.runtime.testing.MutableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The idempotent-producer rules of one partition, without a log: offsets are stamped here as a leader would. */
@Timeout(10)
class ProducerStateTableTest {

    static final long T0 = 1_700_000_000_000L;
    static final long EXPIRATION_MS = 60_000;

    final MutableClock clock = new MutableClock(T0);
    final ProducerStateTable table = new ProducerStateTable(EXPIRATION_MS, clock);
    long nextOffset = 100;

    /** Checks and, unless it is a duplicate, "appends" the request: stamps offsets and records it. */
    private Optional<List<SequencedBatch>> produce(ByteBuffer... batches) {
        ByteBuffer request = TestBatches.concat(batches);
        Optional<List<SequencedBatch>> originals = table.check(request, 0, request.limit());
        if (originals.isEmpty()) {
            for (int p = 0; p < request.limit(); p += RecordBatch.sizeInBytes(request, p)) {
                RecordBatch.setBaseOffset(request, p, nextOffset);
                nextOffset += RecordBatch.lastOffsetDelta(request, p) + 1;
            }
            table.onAppended(request, 0, request.limit());
        }
        return originals;
    }

    private static ByteBuffer batch(long producerId, int epoch, int baseSequence, int records) {
        return TestBatches.idempotent(producerId, epoch, baseSequence, records, T0);
    }

    private static ProducerStateException.Kind refusal(Runnable call) {
        try {
            call.run();
        } catch (ProducerStateException e) {
            return e.kind();
        }
        throw new AssertionError("the request was accepted");
    }

    @Test
    void aDuplicateOfEachOfTheRetainedBatchesIsAnsweredWithItsOriginalOffsets() {
        int kept = ProducerStateEntry.BATCHES_RETAINED;
        List<Long> bases = new ArrayList<>();
        for (int i = 0; i <= kept; i++) {
            bases.add(nextOffset);
            assertThat(produce(batch(7, 0, i * 3, 3))).isEmpty();
        }
        long end = nextOffset;
        for (int i = 1; i <= kept; i++) {
            Optional<List<SequencedBatch>> originals = produce(batch(7, 0, i * 3, 3));
            assertThat(originals).as("retry of batch %d", i).isPresent();
            assertThat(originals.get().getFirst().firstOffset()).isEqualTo(bases.get(i));
            assertThat(originals.get().getFirst().lastOffset()).isEqualTo(bases.get(i) + 2);
        }
        assertThat(nextOffset).as("nothing appended").isEqualTo(end);
        assertThat(table.entry(7).orElseThrow().batches()).hasSize(kept);
    }

    @Test
    void aRetryOfABatchOlderThanTheRetainedOnesIsOutOfOrderAsInKafka() {
        int kept = ProducerStateEntry.BATCHES_RETAINED;
        for (int i = 0; i <= kept; i++) {
            produce(batch(7, 0, i, 1));
        }
        assertThatThrownBy(() -> produce(batch(7, 0, 0, 1)))
                .isInstanceOfSatisfying(ProducerStateException.class,
                        e -> assertThat(e.kind()).isEqualTo(ProducerStateException.Kind.OUT_OF_ORDER_SEQUENCE))
                .hasMessageContaining("sent sequence 0; expected " + (kept + 1));
    }

    @Test
    void aSequenceGapIsRefusedNamingTheExpectedAndTheReceivedSequence() {
        produce(batch(7, 0, 0, 5));
        assertThatThrownBy(() -> produce(batch(7, 0, 6, 1)))
                .isInstanceOfSatisfying(ProducerStateException.class,
                        e -> assertThat(e.kind()).isEqualTo(ProducerStateException.Kind.OUT_OF_ORDER_SEQUENCE))
                .hasMessageContaining("producer 7 (epoch 0) sent sequence 6; expected 5");
        assertThat(produce(batch(7, 0, 5, 1))).isEmpty();
    }

    @Test
    void aBatchWithAnOlderEpochIsFenced() {
        produce(batch(7, 2, 0, 1));
        assertThatThrownBy(() -> produce(batch(7, 1, 1, 1)))
                .isInstanceOfSatisfying(ProducerStateException.class,
                        e -> assertThat(e.kind()).isEqualTo(ProducerStateException.Kind.INVALID_PRODUCER_EPOCH))
                .hasMessageContaining("epoch 1 but epoch 2 already wrote");
    }

    @Test
    void aNewEpochMustStartAtSequenceZero() {
        produce(batch(7, 0, 0, 4));
        assertThat(refusal(() -> produce(batch(7, 1, 4, 1)))).isEqualTo(ProducerStateException.Kind.OUT_OF_ORDER_SEQUENCE);
        assertThat(produce(batch(7, 1, 0, 2))).isEmpty();
        assertThat(table.entry(7).orElseThrow().epoch()).isEqualTo((short) 1);
        assertThat(table.entry(7).orElseThrow().batches()).hasSize(1);
    }

    @Test
    void anUnknownProducerIsAcceptedAtAnySequenceAsKafkaDoesSinceKip360() {
        assertThat(produce(batch(9, 0, 41, 2))).isEmpty();
        assertThat(produce(batch(9, 0, 43, 1))).isEmpty();
        assertThat(refusal(() -> produce(batch(9, 0, 45, 1)))).isEqualTo(ProducerStateException.Kind.OUT_OF_ORDER_SEQUENCE);
    }

    @Test
    void sequencesContinueAtZeroAfterIntegerMax() {
        produce(batch(7, 0, Integer.MAX_VALUE - 1, 3));
        assertThat(table.entry(7).orElseThrow().batches().getLast().lastSequence()).isZero();
        assertThat(produce(batch(7, 0, 1, 1))).isEmpty();
        assertThat(produce(batch(7, 0, Integer.MAX_VALUE - 1, 3))).as("a retry of the wrapping batch").isPresent();
    }

    @Test
    void batchesWithoutProducerIdSkipEveryCheck() {
        ByteBuffer plain = TestBatches.batch(2, 10, T0);
        assertThat(produce(plain)).isEmpty();
        assertThat(produce(TestBatches.batch(2, 10, T0))).isEmpty();
        assertThat(table.entries()).isEmpty();
    }

    @Test
    void aRequestIsCheckedAsAWholeAndARefusalChangesNothing() {
        produce(batch(7, 0, 0, 1));
        ByteBuffer good = batch(7, 0, 1, 1);
        ByteBuffer gap = batch(8, 0, 0, 1);
        produce(gap);
        assertThat(refusal(() -> produce(good, batch(7, 0, 2, 1), batch(8, 0, 5, 1))))
                .isEqualTo(ProducerStateException.Kind.OUT_OF_ORDER_SEQUENCE);
        assertThat(table.entry(7).orElseThrow().lastSequence()).isZero();
        assertThat(produce(good, batch(7, 0, 2, 1), batch(8, 0, 1, 1))).as("each batch follows the one before it")
                .isEmpty();
        assertThat(table.entry(7).orElseThrow().lastSequence()).isEqualTo(2);
    }

    @Test
    void aRequestMixingBatchesWrittenBeforeWithNewOnesIsRefused() {
        produce(batch(7, 0, 0, 1));
        assertThat(refusal(() -> produce(batch(7, 0, 0, 1), batch(7, 0, 1, 1))))
                .isEqualTo(ProducerStateException.Kind.MIXED_DUPLICATES);
        assertThat(refusal(() -> produce(batch(7, 0, 0, 1), TestBatches.batch(1, 10, T0))))
                .isEqualTo(ProducerStateException.Kind.MIXED_DUPLICATES);
    }

    @Test
    void aWholeRequestWrittenBeforeIsAnsweredWithItsOffsetRange() {
        long base = nextOffset;
        produce(batch(7, 0, 0, 2), batch(7, 0, 2, 3));
        Optional<List<SequencedBatch>> again = produce(batch(7, 0, 0, 2), batch(7, 0, 2, 3));
        assertThat(again).isPresent();
        assertThat(again.get().getFirst().firstOffset()).isEqualTo(base);
        assertThat(again.get().getLast().lastOffset()).isEqualTo(base + 4);
    }

    @Test
    void duplicatesAtOffsetsThatAreNotOneRangeAreRefusedAsDuplicateSequence() {
        produce(batch(7, 0, 0, 1));
        produce(TestBatches.batch(1, 10, T0));
        produce(batch(7, 0, 1, 1));
        assertThat(refusal(() -> produce(batch(7, 0, 0, 1), batch(7, 0, 1, 1))))
                .isEqualTo(ProducerStateException.Kind.DUPLICATE_SEQUENCE);
    }

    @Test
    void producersIdleForTheExpirationTimeAreForgotten() {
        produce(batch(7, 0, 0, 1));
        clock.advance(EXPIRATION_MS / 2);
        produce(batch(8, 0, 0, 1));
        clock.advance(EXPIRATION_MS / 2 - 1);
        assertThat(table.removeExpired()).isZero();
        clock.advance(1);
        assertThat(table.removeExpired()).isEqualTo(1);
        assertThat(table.entry(7)).isEmpty();
        assertThat(table.entry(8)).isPresent();
        assertThat(produce(batch(7, 0, 0, 1))).as("no longer recognised: appended again").isEmpty();
    }

    @Test
    void loadingASnapshotLeavesOutExpiredProducers() {
        SequencedBatch b = new SequencedBatch(0, 0, 1, 1, T0);
        table.load(List.of(new ProducerStateEntry(1, (short) 0, List.of(b), T0 - EXPIRATION_MS),
                new ProducerStateEntry(2, (short) 0, List.of(b), T0 - 1)));
        assertThat(table.entries()).extracting(ProducerStateEntry::producerId).containsExactly(2L);
    }
}
