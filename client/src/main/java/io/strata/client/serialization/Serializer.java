package io.strata.client.serialization;

/**
 * Turns an application object into the bytes of a record's key or value. Implementations
 * must be thread-safe: a producer calls them from every thread that sends.
 *
 * @param <T> the type serialized
 */
@FunctionalInterface
public interface Serializer<T> {

    /**
     * @param topic the topic the record goes to
     * @param data  the object, may be {@code null}
     * @return the bytes, or {@code null} for a null key or value
     */
    byte[] serialize(String topic, T data);
}
