package io.strata.client.producer;

import io.strata.client.serialization.StringSerializer;
import io.strata.client.testing.FakeStrata;
import io.strata.records.Record;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the producer tests share: a fresh {@link FakeStrata} per test with topics "t" (one
 * partition) and "two" (two), and string producers on it that retry after 1-5 ms.
 */
abstract class FakeStrataProducerTest {

    protected FakeStrata fake;

    @BeforeEach
    void startFake() throws Exception {
        fake = new FakeStrata().topic("t", 1).topic("two", 2);
    }

    @AfterEach
    void stopFake() throws Exception {
        fake.close();
    }

    protected StrataProducer<String, String> producer(Map<String, Object> extra) {
        Map<String, Object> config = new HashMap<>();
        config.put("bootstrap.servers", fake.bootstrap());
        config.put("retry.backoff.ms", 1);
        config.put("retry.backoff.max.ms", 5);
        config.putAll(extra);
        return new StrataProducer<>(config, new StringSerializer(), new StringSerializer());
    }

    protected static List<String> values(List<Record> records) {
        return records.stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
    }
}
