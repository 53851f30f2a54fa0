package io.strata.client.serialization;

/** Passes bytes through unchanged (no copy). */
public final class ByteArrayDeserializer implements Deserializer<byte[]> {
    @Override
    public byte[] deserialize(String topic, byte[] data) {
        return data;
    }
}
