package io.strata.client.serialization;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.strata.client.StrataException;
import io.strata.proto.v1.ErrorCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(10)
class JsonSerializerTest {

    record Line(String sku, int quantity) {
    }

    record Order(String id, List<Line> lines, Map<String, String> tags, Double discount) {
    }

    /** A mutable bean with getters and setters, as older code writes them. */
    public static final class Customer {
        private String name;
        private long points;

        public String getName() {
            return name;
        }

        public void setName(String name) {
            this.name = name;
        }

        public long getPoints() {
            return points;
        }

        public void setPoints(long points) {
            this.points = points;
        }
    }

    private final JsonSerializer<Object> serializer = new JsonSerializer<>();

    @Test
    void recordsRoundTripThroughCompactUtf8Json() {
        Order order = new Order("o-1", List.of(new Line("älg ✓", 2), new Line("b", 1)), Map.of("k", "v"), null);
        byte[] bytes = serializer.serialize("orders", order);

        assertThat(new String(bytes, StandardCharsets.UTF_8)).isEqualTo(
                "{\"id\":\"o-1\",\"lines\":[{\"sku\":\"älg ✓\",\"quantity\":2},{\"sku\":\"b\",\"quantity\":1}],"
                        + "\"tags\":{\"k\":\"v\"},\"discount\":null}");
        assertThat(new JsonDeserializer<>(Order.class).deserialize("orders", bytes)).isEqualTo(order);
    }

    @Test
    void beansRoundTripThroughGettersAndSetters() {
        Customer c = new Customer();
        c.setName("ada");
        c.setPoints(1L << 40);
        Customer back = new JsonDeserializer<>(Customer.class).deserialize("customers", serializer.serialize("customers", c));
        assertThat(back.getName()).isEqualTo("ada");
        assertThat(back.getPoints()).isEqualTo(1L << 40);
    }

    @Test
    void treesAndMapsReadAnyShape() {
        byte[] bytes = serializer.serialize("t", new Order("o-2", List.of(), Map.of(), 0.5));
        JsonNode tree = new JsonDeserializer<>(JsonNode.class).deserialize("t", bytes);
        assertThat(tree.get("id").asText()).isEqualTo("o-2");
        assertThat(tree.get("discount").asDouble()).isEqualTo(0.5);
        @SuppressWarnings("rawtypes")
        Map map = new JsonDeserializer<>(Map.class).deserialize("t", bytes);
        assertThat(map).containsEntry("id", "o-2").containsEntry("lines", List.of());
    }

    @Test
    void nullStaysNullBothWays() {
        assertThat(serializer.serialize("t", null)).isNull();
        assertThat(new JsonDeserializer<>(Order.class).deserialize("t", null)).isNull();
        assertThat(new JsonDeserializer<>(Order.class).deserialize("t", "null".getBytes(StandardCharsets.UTF_8))).isNull();
    }

    @Test
    void theDefaultDeserializerIgnoresPropertiesTheTypeDoesNotDeclare() {
        byte[] newer = "{\"sku\":\"a\",\"quantity\":1,\"addedLater\":true}".getBytes(StandardCharsets.UTF_8);
        assertThat(new JsonDeserializer<>(Line.class).deserialize("t", newer)).isEqualTo(new Line("a", 1));
        assertThatThrownBy(() -> new JsonDeserializer<>(Line.class, new ObjectMapper()).deserialize("t", newer))
                .isInstanceOf(SerializationException.class).hasMessageContaining("addedLater");
    }

    @Test
    void malformedBytesFailWithTheTopicTheTypeAndThePlace() {
        JsonDeserializer<Line> d = new JsonDeserializer<>(Line.class);
        assertThatThrownBy(() -> d.deserialize("orders", "{\"sku\": \"a\", ".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOfSatisfying(SerializationException.class, e -> {
                    assertThat(e.topic()).isEqualTo("orders");
                    assertThat(e.reason()).isEqualTo(ErrorCode.ERROR_CODE_UNSPECIFIED);
                    assertThat(e.reasonName()).isEqualTo("SERIALIZATION_ERROR");
                    assertThat(e.retriable()).isFalse();
                    assertThat(e.statusCode()).isEmpty();
                })
                .hasMessageStartingWith("cannot read 13 bytes from topic 'orders' as JSON " + Line.class.getName() + ": ")
                .hasMessageContaining("line 1, column");
        assertThatThrownBy(() -> d.deserialize("orders", new byte[0]))
                .isInstanceOf(SerializationException.class).hasMessageContaining("topic 'orders'");
        assertThatThrownBy(() -> d.deserialize("orders", "{\"sku\":\"a\",\"quantity\":\"many\"}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(SerializationException.class).hasMessageContaining("(field quantity, line 1, column");
        assertThatThrownBy(() -> d.deserialize("orders", new byte[] {(byte) 0xff, (byte) 0xfe, 0x00}))
                .isInstanceOf(SerializationException.class).isInstanceOf(StrataException.class);
    }

    @Test
    void trailingTextAfterTheValueIsAnError() {
        assertThatThrownBy(() -> new JsonDeserializer<>(Line.class)
                .deserialize("t", "{\"sku\":\"a\",\"quantity\":1} {}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(SerializationException.class).hasMessageContaining("topic 't'");
    }

    @Test
    void anObjectJacksonCannotWriteFailsWithTheTopicAndTheType() {
        assertThatThrownBy(() -> serializer.serialize("events", new Object()))
                .isInstanceOfSatisfying(SerializationException.class, e -> assertThat(e.topic()).isEqualTo("events"))
                .hasMessageStartingWith("cannot write a java.lang.Object as JSON for topic 'events': ");
        // java.time needs the JavaTimeModule, which the default mapper does not have.
        assertThatThrownBy(() -> serializer.serialize("events", Map.of("at", Instant.EPOCH)))
                .isInstanceOf(SerializationException.class).hasMessageContaining("java.time.Instant");
    }

    @Test
    void aGivenMapperIsUsedAsConfigured() {
        ObjectMapper indenting = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        String json = new String(new JsonSerializer<Line>(indenting).serialize("t", new Line("a", 1)), StandardCharsets.UTF_8);
        assertThat(json).contains("\n");
        assertThat(new JsonDeserializer<>(Line.class, indenting).deserialize("t", json.getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(new Line("a", 1));
    }
}
