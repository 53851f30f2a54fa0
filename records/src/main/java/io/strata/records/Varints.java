package io.strata.records;

import java.nio.ByteBuffer;

/**
 * Zigzag-encoded variable-length integers, as in protobuf's {@code sint32}/{@code sint64} and
 * Kafka's v2 records: 7 bits per byte, least significant group first, high bit set on every
 * byte but the last. Zigzag maps small negative numbers (such as {@code -1} for "null") to
 * one byte.
 *
 * <p>Reads and writes are relative to the buffer's position and advance it. A varint longer
 * than 5 bytes (varlong: 10), or one cut off by the buffer's limit, is an
 * {@link InvalidBatchException}: these read untrusted bytes from the network.
 */
public final class Varints {

    /** Longest encoding of an {@code int}: ceil(32 / 7). */
    public static final int MAX_VARINT_SIZE = 5;
    /** Longest encoding of a {@code long}: ceil(64 / 7). */
    public static final int MAX_VARLONG_SIZE = 10;

    private Varints() {
    }

    public static void writeVarint(int value, ByteBuffer buf) {
        int v = (value << 1) ^ (value >> 31);
        while ((v & ~0x7F) != 0) {
            buf.put((byte) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        buf.put((byte) v);
    }

    public static void writeVarlong(long value, ByteBuffer buf) {
        long v = (value << 1) ^ (value >> 63);
        while ((v & ~0x7FL) != 0) {
            buf.put((byte) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        buf.put((byte) v);
    }

    /** @throws InvalidBatchException if the varint is longer than 5 bytes or truncated */
    public static int readVarint(ByteBuffer buf) {
        int raw = 0;
        for (int shift = 0; shift < 7 * MAX_VARINT_SIZE; shift += 7) {
            if (!buf.hasRemaining()) {
                throw new InvalidBatchException("truncated varint at position " + buf.position());
            }
            byte b = buf.get();
            raw |= (b & 0x7F) << shift;
            if (b >= 0) {
                return (raw >>> 1) ^ -(raw & 1);
            }
        }
        throw new InvalidBatchException("malformed varint: more than " + MAX_VARINT_SIZE
                + " bytes, ending at position " + buf.position());
    }

    /** @throws InvalidBatchException if the varlong is longer than 10 bytes or truncated */
    public static long readVarlong(ByteBuffer buf) {
        long raw = 0;
        for (int shift = 0; shift < 7 * MAX_VARLONG_SIZE; shift += 7) {
            if (!buf.hasRemaining()) {
                throw new InvalidBatchException("truncated varlong at position " + buf.position());
            }
            byte b = buf.get();
            raw |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
                return (raw >>> 1) ^ -(raw & 1);
            }
        }
        throw new InvalidBatchException("malformed varlong: more than " + MAX_VARLONG_SIZE
                + " bytes, ending at position " + buf.position());
    }

    /** Bytes {@link #writeVarint} writes for {@code value}. */
    public static int sizeOfVarint(int value) {
        int v = (value << 1) ^ (value >> 31);
        // "| 1" so that zero still counts as one significant bit, hence one byte.
        int bits = Integer.SIZE - Integer.numberOfLeadingZeros(v | 1);
        return (bits + 6) / 7;
    }

    /** Bytes {@link #writeVarlong} writes for {@code value}. */
    public static int sizeOfVarlong(long value) {
        long v = (value << 1) ^ (value >> 63);
        int bits = Long.SIZE - Long.numberOfLeadingZeros(v | 1);
        return (bits + 6) / 7;
    }
}
