package io.strata.cli.perf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(10)
class LatencyHistogramTest {

    @Test
    void emptyHistogramAnswersZero() {
        LatencyHistogram h = new LatencyHistogram();
        assertThat(h.count()).isZero();
        assertThat(h.mean()).isZero();
        assertThat(h.max()).isZero();
        assertThat(h.percentile(0.99)).isZero();
    }

    @Test
    void smallValuesAreExactAndPercentilesAreNearestRank() {
        LatencyHistogram h = new LatencyHistogram();
        for (int v = 1; v <= 100; v++) {
            h.record(v);
        }
        assertThat(h.count()).isEqualTo(100);
        assertThat(h.mean()).isEqualTo(50.5);
        assertThat(h.max()).isEqualTo(100);
        assertThat(h.percentile(0)).isEqualTo(1);
        assertThat(h.percentile(0.5)).isEqualTo(50);
        assertThat(h.percentile(0.99)).isEqualTo(99);
        assertThat(h.percentile(0.999)).isEqualTo(100);
        assertThat(h.percentile(1)).isEqualTo(100);
    }

    @Test
    void oneOutlierShowsOnlyInTheTail() {
        LatencyHistogram h = new LatencyHistogram();
        for (int i = 0; i < 999; i++) {
            h.record(2_000);
        }
        h.record(250_000);
        assertThat(h.percentile(0.5)).isBetween(2_000L, 2_032L);
        assertThat(h.percentile(0.999)).isBetween(2_000L, 2_032L);
        assertThat(h.percentile(1)).isEqualTo(250_000);
        assertThat(h.max()).isEqualTo(250_000);
    }

    @Test
    void percentilesAreNeverBelowTheTrueValueAndAtMostOnePointSixPercentAbove() {
        SplittableRandom random = new SplittableRandom(42);
        for (int run = 0; run < 20; run++) {
            int n = 1 + random.nextInt(5_000);
            long[] values = new long[n];
            LatencyHistogram h = new LatencyHistogram();
            for (int i = 0; i < n; i++) {
                // log-uniform over 1 µs .. ~17 min, as latencies spread
                values[i] = (long) Math.exp(random.nextDouble() * Math.log(1e9));
                h.record(values[i]);
            }
            Arrays.sort(values);
            for (double q : new double[] {0, 0.5, 0.95, 0.99, 0.999, 1}) {
                long exact = values[(int) Math.max(0, Math.ceil(q * n) - 1)];
                long got = h.percentile(q);
                assertThat(got).as("q=%s n=%d", q, n).isGreaterThanOrEqualTo(exact);
                assertThat((double) got).as("q=%s n=%d", q, n).isLessThanOrEqualTo(exact * (1 + 1.0 / 64) + 1);
            }
            assertThat(h.max()).isEqualTo(values[n - 1]);
            assertThat(h.mean()).isCloseTo(Arrays.stream(values).average().orElseThrow(),
                    org.assertj.core.data.Offset.offset(1e-6));
        }
    }

    @Test
    void bucketsTileTheWholeRangeWithoutGaps() {
        long previousHigh = -1;
        int last = LatencyHistogram.bucketIndex(Long.MAX_VALUE);
        for (int i = 0; i <= last; i++) {
            long high = LatencyHistogram.highestValueIn(i);
            long low = previousHigh + 1;
            assertThat(LatencyHistogram.bucketIndex(low)).as("low of %d", i).isEqualTo(i);
            assertThat(LatencyHistogram.bucketIndex(high)).as("high of %d", i).isEqualTo(i);
            assertThat(high).isGreaterThanOrEqualTo(low);
            if (low >= LatencyHistogram.SUB_BUCKETS) {
                assertThat((double) (high - low + 1) / low).as("width of %d", i).isLessThanOrEqualTo(1.0 / 64);
            }
            previousHigh = high;
        }
        assertThat(previousHigh).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void negativeValuesCountAsZeroAndBadQuantilesAreRefused() {
        LatencyHistogram h = new LatencyHistogram();
        h.record(-5);
        assertThat(h.percentile(1)).isZero();
        assertThatThrownBy(() -> h.percentile(1.5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> h.percentile(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
    }
}
