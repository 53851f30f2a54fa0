package io.strata.coordination.config;

import io.strata.coordination.store.EmbeddedMetadataStore;
import io.strata.coordination.store.EtcdMetadataStore;
import io.strata.coordination.store.MetadataStore;
import io.strata.coordination.store.Op;
import io.strata.coordination.testing.EtcdExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code strata.metadata.store} picks the store the role gets, and the store it gets works. */
@Timeout(30)
class MetadataStoreProducerTest {

    @RegisterExtension
    static final EtcdExtension ETCD = new EtcdExtension();

    @TempDir
    Path dir;

    private final MetadataStoreProducer producer = new MetadataStoreProducer();

    @Test
    void theDefaultIsTheEmbeddedStoreInTheMetadataDir() {
        MetadataStore store = producer.metadataStore(CoordinationConfig.of(Map.of("strata.metadata.dir", dir.toString())));
        try {
            assertThat(store).isInstanceOfSatisfying(EmbeddedMetadataStore.class,
                    s -> assertThat(s.directory()).isEqualTo(dir.toAbsolutePath()));
        } finally {
            producer.close(store);
        }
    }

    @Test
    void storeEtcdGivesAnEtcdStoreUnderTheRoot() {
        String root = EtcdExtension.newRoot();
        MetadataStore store = producer.metadataStore(CoordinationConfig.of(Map.of("strata.metadata.store", "etcd",
                "strata.metadata.endpoints", ETCD.endpoint().toString(), "strata.metadata.root", root)));
        try {
            store.txn(List.of(), List.of(Op.put("cluster-id", "c1".getBytes(StandardCharsets.UTF_8))));

            assertThat(store).isInstanceOf(EtcdMetadataStore.class).hasToString("EtcdMetadataStore[" + ETCD.endpoint() + " " + root + "/]");
            assertThat(store.get("cluster-id")).hasValueSatisfying(kv -> assertThat(kv.valueAsString()).isEqualTo("c1"));
        } finally {
            producer.close(store);
        }
    }
}
