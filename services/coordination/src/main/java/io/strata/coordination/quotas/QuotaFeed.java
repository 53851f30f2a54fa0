package io.strata.coordination.quotas;

import io.strata.coordination.layout.Keys;
import io.strata.coordination.metadata.SnapshotFeed;
import io.strata.coordination.store.MetadataStore;
import io.strata.proto.v1.ClientQuota;
import io.strata.proto.v1.QuotaSnapshot;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * WatchQuotas: every quota set, pushed to storage nodes and ingestion instances at once and
 * after every change (within the coalescing delay), on a {@link SnapshotFeed} of {@code quotas/}.
 */
public final class QuotaFeed implements AutoCloseable {

    private final SnapshotFeed<Boolean, List<ClientQuota>> feed;

    public QuotaFeed(MetadataStore store, ScheduledExecutorService executor, Duration coalesce) {
        this.feed = new SnapshotFeed<>(store, List.of(Keys.QUOTAS), range -> {
            List<ClientQuota> quotas = QuotaService.fromRange(range);
            return (Function<Boolean, List<ClientQuota>>) all -> quotas;
        }, executor, coalesce, "quota");
    }

    /**
     * Subscribes: {@code sink} gets every quota at once, then after every change.
     * {@code onFailure} is called once if the feed cannot go on; nothing is sent after it.
     *
     * @return the subscription; closing it ends it
     */
    public SnapshotFeed.Handle subscribe(Consumer<QuotaSnapshot> sink, Consumer<Throwable> onFailure) {
        return feed.subscribe(Boolean.TRUE, (quotas, revision) -> sink.accept(QuotaSnapshot.newBuilder()
                .setRevision(revision).addAllQuotas(quotas).build()), onFailure);
    }

    /** Ends every subscription with an error and stops watching. */
    @Override
    public void close() {
        feed.close();
    }
}
