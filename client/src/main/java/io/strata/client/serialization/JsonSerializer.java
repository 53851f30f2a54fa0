package io.strata.client.serialization;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;

import java.util.Objects;

/**
 * Writes objects as UTF-8 JSON with Jackson: records, POJOs with getters, maps, lists, strings,
 * numbers and Jackson's own {@code JsonNode}; {@code null} stays {@code null} (a record with no
 * value). Thread-safe.
 *
 * <p>The no-arg constructor uses a plain {@link ObjectMapper}, which knows no optional Jackson
 * modules: give one configured as you need (for example with {@code JavaTimeModule} for
 * {@code java.time} values) to {@link #JsonSerializer(ObjectMapper)}. The mapper is not changed.
 *
 * <pre>{@code
 * record Order(String id, int quantity) {}
 * var producer = new StrataProducer<>(configs, new StringSerializer(), new JsonSerializer<Order>());
 * producer.send(new ProducerRecord<>("orders", "o-1", new Order("o-1", 3)));   // {"id":"o-1","quantity":3}
 * }</pre>
 *
 * @param <T> the type serialized
 * @see JsonDeserializer
 */
public final class JsonSerializer<T> implements Serializer<T> {

    private final ObjectWriter writer;

    /** Serializes with a default {@link ObjectMapper}. */
    public JsonSerializer() {
        this(new ObjectMapper());
    }

    /** Serializes with {@code mapper} (its configuration and modules). */
    public JsonSerializer(ObjectMapper mapper) {
        this.writer = Objects.requireNonNull(mapper, "mapper").writer();
    }

    /**
     * @return the UTF-8 JSON of {@code data}, or {@code null} when {@code data} is {@code null}
     * @throws SerializationException when Jackson cannot write {@code data} (e.g. a type it has no
     *                                serializer for); the message names the topic and the type
     */
    @Override
    public byte[] serialize(String topic, T data) {
        if (data == null) {
            return null;
        }
        try {
            return writer.writeValueAsBytes(data);
        } catch (JsonProcessingException e) {
            throw new SerializationException(topic, "cannot write a " + data.getClass().getName()
                    + " as JSON for topic '" + topic + "': " + e.getOriginalMessage(), e);
        }
    }
}
