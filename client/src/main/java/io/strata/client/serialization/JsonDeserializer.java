package io.strata.client.serialization;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Reads UTF-8 JSON into objects of a given type with Jackson: a record, a POJO, {@code Map.class}
 * or {@link JsonNode JsonNode.class} for a tree when the shape is not fixed. {@code null} stays
 * {@code null}; anything else must be exactly one JSON value (trailing text after it is an
 * error). Thread-safe.
 *
 * <p>The {@link #JsonDeserializer(Class) default mapper} ignores properties the type does not
 * declare, so consumers keep working when producers add fields; a mapper given to
 * {@link #JsonDeserializer(Class, ObjectMapper)} is used as it is configured.
 *
 * <pre>{@code
 * record Order(String id, int quantity) {}
 * var consumer = new StrataConsumer<>(configs, new StringDeserializer(), new JsonDeserializer<>(Order.class));
 * }</pre>
 *
 * @param <T> the type produced
 * @see JsonSerializer
 */
public final class JsonDeserializer<T> implements Deserializer<T> {

    private final Class<T> type;
    private final ObjectReader reader;

    /**
     * Deserializes into {@code type} with a default {@link ObjectMapper} that ignores unknown
     * properties.
     */
    public JsonDeserializer(Class<T> type) {
        this(type, new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES));
    }

    /** Deserializes into {@code type} with {@code mapper} (its configuration and modules). */
    public JsonDeserializer(Class<T> type, ObjectMapper mapper) {
        this.type = Objects.requireNonNull(type, "type");
        this.reader = Objects.requireNonNull(mapper, "mapper").readerFor(type)
                .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    /** The type this deserializer produces. */
    public Class<T> type() {
        return type;
    }

    /**
     * @return the object, or {@code null} when {@code data} is {@code null} or the JSON literal
     *         {@code null}
     * @throws SerializationException when the bytes are not one JSON value of the expected shape
     *                                (empty, malformed, truncated, a wrong field type); the message
     *                                names the topic, the type, what was wrong and where
     */
    @Override
    public T deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        try {
            return reader.readValue(data);
        } catch (JsonProcessingException e) {
            throw failure(topic, data, e.getOriginalMessage() + where(e), e);
        } catch (IOException e) {
            throw failure(topic, data, e.getMessage(), e);
        }
    }

    private SerializationException failure(String topic, byte[] data, String what, Exception cause) {
        return new SerializationException(topic, "cannot read " + data.length + " bytes from topic '" + topic
                + "' as JSON " + type.getName() + ": " + what, cause);
    }

    /** {@code " (field lines[1].sku, line 1, column 23)"}: the field for a mapping error, the place in the text. */
    private static String where(JsonProcessingException e) {
        List<String> parts = new ArrayList<>();
        if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
            StringBuilder field = new StringBuilder();
            for (JsonMappingException.Reference r : m.getPath()) {
                if (r.getFieldName() != null) {
                    field.append(field.isEmpty() ? "" : ".").append(r.getFieldName());
                } else if (r.getIndex() >= 0) {
                    field.append('[').append(r.getIndex()).append(']');
                }
            }
            parts.add("field " + field);
        }
        JsonLocation location = e.getLocation();
        if (location != null && location.getLineNr() >= 0) {
            parts.add("line " + location.getLineNr() + ", column " + location.getColumnNr());
        }
        return parts.isEmpty() ? "" : " (" + String.join(", ", parts) + ")";
    }
}
