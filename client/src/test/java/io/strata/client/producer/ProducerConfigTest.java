package io.strata.client.producer;

import io.strata.proto.v1.Acks;
import io.strata.records.Compression;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(10)
class ProducerConfigTest {

    @Test
    void defaultsAreKafkas() {
        ProducerConfig c = new ProducerConfig(Map.of("bootstrap.servers", "h:1"));
        assertThat(c.acks()).isEqualTo(Acks.ACKS_ALL);
        assertThat(c.lingerMs()).isEqualTo(5);
        assertThat(c.batchSize()).isEqualTo(65536);
        assertThat(c.bufferMemory()).isEqualTo(32L * 1024 * 1024);
        assertThat(c.maxBlockMs()).isEqualTo(60_000);
        assertThat(c.compression()).isEqualTo(Compression.NONE);
        assertThat(c.deliveryTimeoutMs()).isEqualTo(120_000);
        assertThat(c.requestTimeoutMs()).isEqualTo(30_000);
        assertThat(c.backoff().initialMs()).isEqualTo(100);
        assertThat(c.retries()).isEqualTo(Integer.MAX_VALUE);
        assertThat(c.partitionerClass()).isEqualTo(DefaultPartitioner.class.getName());
    }

    @Test
    void acksAcceptKafkasSpellings() {
        assertThat(ProducerConfig.parseAcks("0")).isEqualTo(Acks.ACKS_NONE);
        assertThat(ProducerConfig.parseAcks("1")).isEqualTo(Acks.ACKS_LEADER);
        assertThat(ProducerConfig.parseAcks("all")).isEqualTo(Acks.ACKS_ALL);
        assertThat(ProducerConfig.parseAcks("-1")).isEqualTo(Acks.ACKS_ALL);
    }

    @Test
    void valuesMayBeStringsOrNumbersAndPropertiesWork() {
        Properties p = new Properties();
        p.setProperty("bootstrap.servers", "a:1, b:2");
        p.setProperty("linger.ms", "20");
        p.setProperty("compression.type", "LZ4");
        ProducerConfig c = new ProducerConfig(io.strata.client.internal.ClientConfig.toMap(p));
        assertThat(c.bootstrapServers()).hasSize(2);
        assertThat(c.lingerMs()).isEqualTo(20);
        assertThat(c.compression()).isEqualTo(Compression.LZ4);
        assertThat(new ProducerConfig(Map.of("bootstrap.servers", "h:1", "batch.size", 10)).batchSize()).isEqualTo(10);
    }

    @Test
    void missingBootstrapAndBadNumbersAreRejected() {
        assertThatThrownBy(() -> new ProducerConfig(Map.of())).hasMessageContaining("bootstrap.servers");
        assertThatThrownBy(() -> new ProducerConfig(Map.of("bootstrap.servers", "h:1", "linger.ms", "soon")))
                .hasMessageContaining("linger.ms");
        assertThatThrownBy(() -> new ProducerConfig(Map.of("bootstrap.servers", "nohostport")))
                .hasMessageContaining("bootstrap.servers");
    }

    @Test
    void customPartitionerClassIsInstantiated() {
        try (var producer = new StrataProducer<>(Map.of("bootstrap.servers", "127.0.0.1:1",
                "partitioner.class", AlwaysOne.class.getName()),
                new io.strata.client.serialization.StringSerializer(),
                new io.strata.client.serialization.StringSerializer())) {
            assertThat(producer).isNotNull();
        }
        assertThatThrownBy(() -> new StrataProducer<>(Map.of("bootstrap.servers", "127.0.0.1:1",
                "partitioner.class", "no.such.Partitioner"), new io.strata.client.serialization.StringSerializer(),
                new io.strata.client.serialization.StringSerializer()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("partitioner.class");
    }

    private static ProducerConfig config(Object... keyValues) {
        Map<String, Object> m = new java.util.HashMap<>();
        m.put("bootstrap.servers", "h:1");
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1]);
        }
        return new ProducerConfig(m);
    }

    @Test
    void idempotenceIsOnByDefaultAndCanBeTurnedOff() {
        assertThat(config().idempotence()).isTrue();
        assertThat(config().maxInFlightRequestsPerConnection()).isEqualTo(5);
        assertThat(config("enable.idempotence", "false").idempotence()).isFalse();
        assertThat(config("enable.idempotence", true, "max.in.flight.requests.per.connection", 5).idempotence()).isTrue();
        assertThatThrownBy(() -> config("enable.idempotence", "maybe")).hasMessageContaining("enable.idempotence");
    }

    @Test
    void idempotenceAskedForExplicitlyRefusesConflictingSettingsAsKafkaDoes() {
        assertThatThrownBy(() -> config("enable.idempotence", "true", "max.in.flight.requests.per.connection", 6))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("enable.idempotence").hasMessageContaining("max.in.flight.requests.per.connection");
        assertThatThrownBy(() -> config("enable.idempotence", "true", "acks", "1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("acks must be all");
        assertThatThrownBy(() -> config("enable.idempotence", "true", "retries", 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("retries");
    }

    @Test
    void defaultIdempotenceTurnsOffWhenOtherSettingsConflictAsKafkaDoes() {
        assertThat(config("max.in.flight.requests.per.connection", 6).idempotence()).isFalse();
        assertThat(config("acks", "1").idempotence()).isFalse();
        assertThat(config("acks", "0").idempotence()).isFalse();
        assertThat(config("retries", 0).idempotence()).isFalse();
    }

    /** A partitioner for the reflection test. */
    public static final class AlwaysOne implements Partitioner {
        @Override
        public int partition(String topic, byte[] keyBytes, int numPartitions) {
            return 1;
        }
    }

    @Test
    void theQueueIsKeptToTenMillisecondsOfSendingUnlessTurnedOff() {
        assertThat(new ProducerConfig(Map.of("bootstrap.servers", "h:1")).queueMaxDelayMs()).isEqualTo(10);
        assertThat(new ProducerConfig(Map.of("bootstrap.servers", "h:1", ProducerConfig.QUEUE_MAX_DELAY_MS, 0))
                .queueMaxDelayMs()).isZero();
        assertThatThrownBy(() -> new ProducerConfig(Map.of("bootstrap.servers", "h:1",
                ProducerConfig.QUEUE_MAX_DELAY_MS, -1))).hasMessageContaining(ProducerConfig.QUEUE_MAX_DELAY_MS);
    }
}
