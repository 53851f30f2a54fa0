package io.strata.cli.perf;

import java.util.SplittableRandom;

/**
 * Record values for {@code perf produce}, made as Kafka 4.x's ProducerPerformance makes them
 * for {@code --record-size}: one array, refilled before every send with random upper-case
 * letters {@code A..Z} from a {@link SplittableRandom} seeded 0. So both tools send the same
 * bytes, and LZ4 sees the same (barely compressible: 26 symbols) data. The producer copies the
 * value into its batch during {@code send}, so refilling the array afterwards is safe.
 *
 * <p>Not thread-safe: the sending loop owns it.
 */
final class Payloads {

    private final byte[] value;
    private final SplittableRandom random;

    Payloads(int recordSize) {
        this(recordSize, 0);
    }

    /** Values from another random stream (one per sending thread, so threads do not send the same bytes). */
    Payloads(int recordSize, long seed) {
        if (recordSize < 0) {
            throw new IllegalArgumentException("recordSize must be >= 0, got " + recordSize);
        }
        this.value = new byte[recordSize];
        this.random = new SplittableRandom(seed);
    }

    /** Refills the value with new random letters and returns it (the same array every time). */
    byte[] next() {
        for (int i = 0; i < value.length; i++) {
            value[i] = (byte) (random.nextInt(26) + 'A');
        }
        return value;
    }
}
