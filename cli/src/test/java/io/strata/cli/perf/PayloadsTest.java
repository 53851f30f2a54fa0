package io.strata.cli.perf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(10)
class PayloadsTest {

    @Test
    void refillsOneArrayWithKafkasRandomLetters() {
        Payloads payloads = new Payloads(100);
        byte[] first = payloads.next();
        byte[] firstCopy = first.clone();
        byte[] second = payloads.next();
        assertThat(second).isSameAs(first).isNotEqualTo(firstCopy);
        // Kafka's ProducerPerformance: SplittableRandom(0), nextInt(26) + 65 per byte, record after record
        SplittableRandom kafka = new SplittableRandom(0);
        for (byte b : firstCopy) {
            assertThat(b).isEqualTo((byte) (kafka.nextInt(26) + 65));
        }
        for (byte b : second) {
            assertThat(b).isEqualTo((byte) (kafka.nextInt(26) + 65));
        }
    }

    @Test
    void emptyValuesAreAllowed() {
        assertThat(new Payloads(0).next()).isEmpty();
    }
}
