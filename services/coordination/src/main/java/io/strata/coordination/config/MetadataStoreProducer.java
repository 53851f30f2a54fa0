package io.strata.coordination.config;

import io.strata.coordination.store.EmbeddedMetadataStore;
import io.strata.coordination.store.MetadataStore;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

/**
 * Creates the role's {@link MetadataStore}: for now always the {@link EmbeddedMetadataStore}
 * in {@code strata.metadata.dir}; the etcd store (chosen by {@code strata.metadata.endpoints})
 * comes next. The store is opened when first needed and closed at shutdown.
 */
@Singleton
public class MetadataStoreProducer {

    private static final Logger LOG = Logger.getLogger(MetadataStoreProducer.class);

    @Produces
    @Singleton
    MetadataStore metadataStore(CoordinationConfig config) {
        LOG.infof("opening the embedded metadata store in %s", config.metadataDir().toAbsolutePath());
        return EmbeddedMetadataStore.open(config.metadataDir());
    }

    void close(@Disposes MetadataStore store) {
        store.close();
    }
}
