package io.strata.client.serialization;

import java.nio.charset.StandardCharsets;

/** Decodes UTF-8 bytes to strings (malformed input becomes U+FFFD); {@code null} stays {@code null}. */
public final class StringDeserializer implements Deserializer<String> {
    @Override
    public String deserialize(String topic, byte[] data) {
        return data == null ? null : new String(data, StandardCharsets.UTF_8);
    }
}
