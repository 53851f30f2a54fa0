package io.strata.client.serialization;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(10)
class SerializersTest {

    @Test
    void stringsRoundTripAsUtf8() {
        String text = "héllo wörld ✓ 日本";
        byte[] bytes = new StringSerializer().serialize("t", text);
        assertThat(bytes).isEqualTo(text.getBytes(StandardCharsets.UTF_8));
        assertThat(new StringDeserializer().deserialize("t", bytes)).isEqualTo(text);
    }

    @Test
    void nullStaysNullAndEmptyStaysEmpty() {
        assertThat(new StringSerializer().serialize("t", null)).isNull();
        assertThat(new StringDeserializer().deserialize("t", null)).isNull();
        assertThat(new StringSerializer().serialize("t", "")).isEmpty();
        assertThat(new StringDeserializer().deserialize("t", new byte[0])).isEmpty();
    }

    @Test
    void byteArraysPassThroughUnchanged() {
        byte[] data = {1, 2, 3};
        assertThat(new ByteArraySerializer().serialize("t", data)).isSameAs(data);
        assertThat(new ByteArrayDeserializer().deserialize("t", data)).isSameAs(data);
        assertThat(new ByteArraySerializer().serialize("t", null)).isNull();
    }
}
