package io.strata.client.serialization;

/**
 * Turns the bytes of a record's key or value back into an application object.
 *
 * @param <T> the type produced
 */
@FunctionalInterface
public interface Deserializer<T> {

    /**
     * @param topic the topic the record came from
     * @param data  the bytes, {@code null} for a null key or value
     * @return the object, may be {@code null}
     */
    T deserialize(String topic, byte[] data);
}
