package io.strata.runtime.quota;

import io.strata.proto.v1.ClientQuota;
import io.strata.proto.v1.QuotaSnapshot;
import io.strata.runtime.testing.MutableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Per-client-id buckets, the rate precedence, and the node defaults' config keys. */
@Timeout(10)
class QuotaTrackerTest {

    private final MutableClock clock = new MutableClock();
    private final Map<String, Long> rates = new HashMap<>();
    private final QuotaTracker tracker = new QuotaTracker(QuotaType.PRODUCER, id -> rates.getOrDefault(id, 0L), clock);

    @Test
    void anUnlimitedClientIsNeverThrottledNorTracked() {
        for (int i = 0; i < 100; i++) {
            assertThat(tracker.record("free", 1L << 30)).isZero();
        }
        assertThat(tracker.throttleMs("free")).isZero();
        assertThat(tracker.tracked()).isZero();
    }

    @Test
    void eachClientIdHasItsOwnBucketAndTheEmptyIdIsOneToo() {
        rates.put("a", 1_000L);
        rates.put("", 1_000L);
        assertThat(tracker.record("a", 3_000)).isEqualTo(2_000);
        assertThat(tracker.record("", 1_000)).isZero();
        assertThat(tracker.throttleMs("a")).isEqualTo(2_000);
        assertThat(tracker.throttleMs("")).isZero();
    }

    @Test
    void aQuotaChangeTakesEffectOnTheNextRequest() {
        rates.put("a", 1_000L);
        assertThat(tracker.record("a", 2_000)).isEqualTo(1_000);
        rates.put("a", 100_000L);
        assertThat(tracker.throttleMs("a")).isEqualTo(10);
        rates.remove("a"); // unlimited now: nothing owed any more
        assertThat(tracker.throttleMs("a")).isZero();
        assertThat(tracker.record("a", 1L << 40)).isZero();
    }

    @Test
    void idleClientsAreForgottenOnceTheirBucketIsFull() {
        rates.put("a", 1_000L);
        rates.put("b", 1_000L);
        tracker.record("a", 1);
        tracker.record("b", 5_000);
        clock.advance(1_000);
        assertThat(tracker.forgetIdle()).isEqualTo(1); // "a" is full again; "b" still owes 3 s
        assertThat(tracker.throttleMs("b")).isEqualTo(3_000);
        clock.advance(5_000);
        assertThat(tracker.forgetIdle()).isEqualTo(1);
        assertThat(tracker.tracked()).isZero();
    }

    @Test
    void ratesComeFromTheClientIdThenTheDefaultEntityThenTheNodeConfig() {
        QuotaDefaults node = new QuotaDefaults(100, 200);
        ClientQuotas none = ClientQuotas.of(node);
        assertThat(none.rate(QuotaType.PRODUCER, "x")).isEqualTo(100);
        assertThat(none.rate(QuotaType.CONSUMER, "x")).isEqualTo(200);

        ClientQuotas set = ClientQuotas.of(node, QuotaSnapshot.newBuilder().setRevision(7)
                .addQuotas(ClientQuota.newBuilder().setDefaultEntity(true).setConsumerByteRate(2_000))
                .addQuotas(ClientQuota.newBuilder().setClientId("x").setProducerByteRate(1_000))
                .build());
        assertThat(set.revision()).isEqualTo(7);
        assertThat(set.rate(QuotaType.PRODUCER, "x")).isEqualTo(1_000); // its own
        assertThat(set.rate(QuotaType.CONSUMER, "x")).isEqualTo(2_000); // none of its own: the default entity
        assertThat(set.rate(QuotaType.PRODUCER, "y")).isEqualTo(100); // neither: the node config
        assertThat(set.rate(QuotaType.CONSUMER, "")).isEqualTo(2_000);
        assertThat(ClientQuotas.of(QuotaDefaults.UNLIMITED).rate(QuotaType.PRODUCER, "x")).isZero();
    }

    @Test
    void nodeDefaultsAreReadFromTheKafkaNamesAndTheirStrataForms() {
        assertThat(defaults(Map.of())).isEqualTo(QuotaDefaults.UNLIMITED);
        assertThat(defaults(Map.of("quota.producer.default", "1048576", "quota.consumer.default", "2097152")))
                .isEqualTo(new QuotaDefaults(1_048_576, 2_097_152));
        assertThat(defaults(Map.of("quota.producer.default", "1", "strata.quota.producer.default", "5")))
                .isEqualTo(new QuotaDefaults(5, 0));
        assertThatThrownBy(() -> defaults(Map.of("quota.consumer.default", "-1")))
                .hasMessage("quota.consumer.default=-1 must be >= 0 (0 = unlimited)");
        assertThatThrownBy(() -> defaults(Map.of("quota.producer.default", "1MB")))
                .hasMessage("quota.producer.default='1MB' is not a whole number of bytes per second");
    }

    private static QuotaDefaults defaults(Map<String, String> values) {
        Properties p = new Properties();
        p.putAll(values);
        return QuotaDefaults.from(new io.smallrye.config.SmallRyeConfigBuilder()
                .withSources(new io.smallrye.config.PropertiesConfigSource(p, "test", 100)).build());
    }
}
