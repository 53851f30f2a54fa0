package io.strata.records;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Arrays;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

class VarintsTest {

    @Property(tries = 500)
    void varintRoundTripsAndSizeOfMatchesBytesWritten(@ForAll int value) {
        ByteBuffer buf = ByteBuffer.allocate(Varints.MAX_VARINT_SIZE);
        Varints.writeVarint(value, buf);
        assertThat(buf.position()).isEqualTo(Varints.sizeOfVarint(value));
        assertThat(Varints.readVarint(buf.flip())).isEqualTo(value);
        assertThat(buf.hasRemaining()).isFalse();
    }

    @Property(tries = 500)
    void varlongRoundTripsAndSizeOfMatchesBytesWritten(@ForAll long value) {
        ByteBuffer buf = ByteBuffer.allocate(Varints.MAX_VARLONG_SIZE);
        Varints.writeVarlong(value, buf);
        assertThat(buf.position()).isEqualTo(Varints.sizeOfVarlong(value));
        assertThat(Varints.readVarlong(buf.flip())).isEqualTo(value);
    }

    @Example
    void zigzagKeepsSmallNegativesShort() {
        assertThat(Varints.sizeOfVarint(-1)).isEqualTo(1);
        assertThat(Varints.sizeOfVarint(0)).isEqualTo(1);
        assertThat(Varints.sizeOfVarint(63)).isEqualTo(1);
        assertThat(Varints.sizeOfVarint(64)).isEqualTo(2);
        assertThat(Varints.sizeOfVarint(Integer.MIN_VALUE)).isEqualTo(5);
        assertThat(Varints.sizeOfVarlong(Long.MIN_VALUE)).isEqualTo(10);
        ByteBuffer buf = ByteBuffer.allocate(1);
        Varints.writeVarint(-1, buf);
        assertThat(buf.get(0)).isEqualTo((byte) 1);
    }

    @Example
    void aVarintLongerThanFiveBytesIsRejected() {
        byte[] sixBytes = {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 1};
        ByteBuffer buf = ByteBuffer.wrap(sixBytes);
        assertThatThrownBy(() -> Varints.readVarint(buf))
                .isInstanceOf(InvalidBatchException.class)
                .hasMessageContaining("malformed varint");
    }

    @Example
    void aVarlongLongerThanTenBytesIsRejected() {
        byte[] bytes = new byte[11];
        Arrays.fill(bytes, (byte) 0xFF);
        bytes[10] = 1;
        assertThatThrownBy(() -> Varints.readVarlong(ByteBuffer.wrap(bytes)))
                .isInstanceOf(InvalidBatchException.class)
                .hasMessageContaining("malformed varlong");
    }

    @Example
    void aVarintCutOffByTheLimitIsRejected() {
        assertThatThrownBy(() -> Varints.readVarint(ByteBuffer.wrap(new byte[] {(byte) 0x80})))
                .isInstanceOf(InvalidBatchException.class)
                .hasMessageContaining("truncated varint");
        assertThatThrownBy(() -> Varints.readVarlong(ByteBuffer.allocate(0)))
                .isInstanceOf(InvalidBatchException.class)
                .hasMessageContaining("truncated varlong");
    }
}
