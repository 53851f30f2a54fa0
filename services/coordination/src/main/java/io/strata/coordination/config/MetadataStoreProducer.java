package io.strata.coordination.config;

import io.strata.coordination.store.EmbeddedMetadataStore;
import io.strata.coordination.store.EtcdMetadataStore;
import io.strata.coordination.store.MetadataStore;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

/**
 * Creates the role's {@link MetadataStore}, as {@link CoordinationConfig#METADATA_STORE} says:
 * the {@link EmbeddedMetadataStore} in {@code strata.metadata.dir}, or the
 * {@link EtcdMetadataStore} at {@code strata.metadata.endpoints} under
 * {@code strata.metadata.root}. The store is opened when first needed and closed at shutdown.
 */
@Singleton
public class MetadataStoreProducer {

    private static final Logger LOG = Logger.getLogger(MetadataStoreProducer.class);

    @Produces
    @Singleton
    MetadataStore metadataStore(CoordinationConfig config) {
        return switch (config.metadataStore()) {
            case EMBEDDED -> {
                LOG.infof("opening the embedded metadata store in %s", config.metadataDir().toAbsolutePath());
                yield EmbeddedMetadataStore.open(config.metadataDir());
            }
            case ETCD -> EtcdMetadataStore.builder(config.metadataEndpoints())
                    .root(config.metadataRoot())
                    .requestTimeout(config.metadataRequestTimeout())
                    .open();
        };
    }

    void close(@Disposes MetadataStore store) {
        store.close();
    }
}
