package io.strata.client.producer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(10)
class Murmur2Test {

    private static int hash(String s) {
        return Murmur2.hash(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void matchesKafkasKnownVectors() {
        // From Kafka's UtilsTest.testMurmur2.
        assertThat(hash("21")).isEqualTo(-973932308);
        assertThat(hash("foobar")).isEqualTo(-790332482);
        assertThat(hash("a-little-bit-long-string")).isEqualTo(-985981536);
        assertThat(hash("a-little-bit-longer-string")).isEqualTo(-1486304829);
        assertThat(hash("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8")).isEqualTo(-58897971);
        assertThat(Murmur2.hash(new byte[] {'a', 'b', 'c'})).isEqualTo(479470107);
    }

    @Test
    void toPositiveClearsOnlyTheSignBit() {
        assertThat(Murmur2.toPositive(-1)).isEqualTo(Integer.MAX_VALUE);
        assertThat(Murmur2.toPositive(Integer.MIN_VALUE)).isZero();
        assertThat(Murmur2.toPositive(42)).isEqualTo(42);
    }

    @Test
    void partitionForKeyIsKafkasFormula() {
        byte[] key = "foobar".getBytes(StandardCharsets.UTF_8);
        assertThat(Murmur2.partitionForKey(key, 7)).isEqualTo((-790332482 & 0x7fffffff) % 7);
    }
}
