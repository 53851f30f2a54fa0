package io.strata.client.producer;

import io.strata.client.TopicPartition;
import io.strata.records.Compression;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/** The bookkeeping behind the sender's ordering rules. */
class PartitionInFlightTest {

    private static final TopicPartition TP = new TopicPartition("t", 0);

    private static ProducerBatch batch() {
        ProducerBatch b = new ProducerBatch(TP, Compression.NONE, 100, 100, 0, Long.MAX_VALUE);
        b.tryAppend(ProducerBatch.completing(new CompletableFuture<>()), 1, null, new byte[10], List.of(), 50);
        return b;
    }

    @Test
    void requestsMayGoUpToTheLimitUnlessABatchIsHeldOrAResendIsInFlight() {
        PartitionInFlight p = new PartitionInFlight(TP);
        PartitionInFlight.Request first = p.start(1, List.of(batch()), 0);
        PartitionInFlight.Request second = p.start(2, List.of(batch()), 0);
        assertThat(p.mayStart(3, 64)).isTrue();
        assertThat(p.mayStart(2, 64)).isFalse();

        p.finish(first);
        p.hold(first.batches());
        assertThat(p.mayStart(3, 64)).as("held back").isFalse();
        assertThat(p.takeHeld()).as("only once nothing is in flight").isEmpty();
        p.finish(second);
        assertThat(p.takeHeld()).containsExactlyElementsOf(first.batches());

        PartitionInFlight.Request resend = p.start(3, first.batches(), 0);
        assertThat(resend.resend()).isTrue();
        assertThat(first.batches().getFirst().sendGroup()).as("the group of its first request").isEqualTo(1);
        assertThat(p.mayStart(3, 64)).as("a resend goes alone").isFalse();
        p.finish(resend);
        assertThat(p.idle()).isTrue();
    }

    @Test
    void aRefusalIsTheDoingOfAnEarlierBatchOnlyWhileOneIsUnresolved() {
        PartitionInFlight p = new PartitionInFlight(TP);
        PartitionInFlight.Request a = p.start(1, List.of(batch()), 0);
        PartitionInFlight.Request b = p.start(2, List.of(batch()), 0);
        PartitionInFlight.Request c = p.start(3, List.of(batch()), 0);
        p.finish(c);
        assertThat(p.hasEarlierUnresolved(c)).as("a and b in flight").isTrue();
        p.finish(a);
        p.hold(a.batches());
        p.finish(b);
        assertThat(p.hasEarlierUnresolved(b)).as("a held").isTrue();
        assertThat(p.hasEarlierUnresolved(a)).isFalse();
    }

    @Test
    void heldBatchesComeBackInTheirDrainOrder() {
        PartitionInFlight p = new PartitionInFlight(TP);
        PartitionInFlight.Request a = p.start(1, List.of(batch(), batch()), 0);
        PartitionInFlight.Request b = p.start(2, List.of(batch()), 0);
        p.finish(b);
        p.hold(b.batches());
        p.finish(a);
        p.hold(a.batches());
        List<ProducerBatch> back = p.takeHeld();
        assertThat(back).containsExactly(a.batches().get(0), a.batches().get(1), b.batches().get(0));
    }

    @Test
    void theNewestBatchStaysWithinTheWindowOfTheOldestInFlight() {
        PartitionInFlight p = new PartitionInFlight(TP);
        PartitionInFlight.Request oldest = p.start(1, List.of(batch()), 0);
        for (int i = 0; i < 10; i++) {
            p.finish(p.start(2 + i, List.of(batch(), batch(), batch()), 0));
        }
        assertThat(p.batchAllowance(64)).isEqualTo(64 - 31);
        assertThat(p.batchAllowance(31)).isZero();
        assertThat(p.mayStart(5, 31)).isFalse();
        p.finish(oldest);
        assertThat(p.batchAllowance(64)).isEqualTo(64);
    }

    @Test
    void anAcknowledgementUnderTheCurrentIdOpensThePipelineForAWhile() {
        PartitionInFlight p = new PartitionInFlight(TP);
        ProducerIdAndEpoch id = new ProducerIdAndEpoch(1001, (short) 0);
        assertThat(p.confirmed(id, 0)).isFalse();
        p.confirm(id, 1_000);
        assertThat(p.confirmed(id, 1_000 + PartitionInFlight.CONFIRMATION_TTL_MS - 1)).isTrue();
        assertThat(p.confirmed(id, 1_000 + PartitionInFlight.CONFIRMATION_TTL_MS)).as("idle too long").isFalse();
        assertThat(p.confirmed(new ProducerIdAndEpoch(1002, (short) 0), 1_000)).as("another id").isFalse();
        assertThat(p.confirmed(null, 1_000)).as("no id yet").isFalse();
    }

    @Test
    void aPartitionIsStalledWhileARequestIsInFlightTooLongOrBatchesAreHeldForAResend() {
        PartitionInFlight p = new PartitionInFlight(TP);
        assertThat(p.stalled(5_000, 1_000)).isFalse();
        PartitionInFlight.Request old = p.start(1, List.of(batch()), 1_000);
        PartitionInFlight.Request recent = p.start(2, List.of(batch()), 4_500);
        assertThat(p.stalled(1_999, 1_000)).isFalse();
        assertThat(p.stalled(2_000, 1_000)).isTrue();

        p.finish(old);
        assertThat(p.stalled(5_000, 1_000)).isFalse();
        p.hold(old.batches()); // it failed: held until the request behind it is answered, then resent
        assertThat(p.stalled(5_000, 1_000)).isTrue();
        p.finish(recent);
        p.takeHeld();
        assertThat(p.stalled(5_000, 1_000)).isFalse();
    }
}
