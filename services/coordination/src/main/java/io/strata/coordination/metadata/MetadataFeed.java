package io.strata.coordination.metadata;

import io.strata.coordination.layout.Keys;
import io.strata.coordination.store.MetadataStore;
import io.strata.coordination.topics.TopicDefaults;
import io.strata.proto.v1.ClusterMetadata;
import io.strata.proto.v1.NodeRole;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The replication controller's view (WatchMetadata), on a {@link SnapshotFeed} of
 * {@code nodes/storage/}, {@code topics/} and {@code partitions/}: each refresh reads them at one
 * revision and, when anything differs from the last snapshot sent, sends the whole cluster as
 * GetMetadata would answer a request for every topic ({@link ClusterRouting}): the live ready
 * storage nodes with their {@code unclean_shutdown} flag, every topic with all its partition
 * states and config overrides, the config defaults, the revision. Ingestion instances are not
 * watched (the controller does not need them, and their churn would wake it). See
 * {@link SnapshotFeed} for the concurrency rule.
 */
public final class MetadataFeed implements AutoCloseable {

    private final SnapshotFeed<Boolean, ClusterMetadata> feed;

    public MetadataFeed(MetadataStore store, ClusterIdentity identity, TopicDefaults defaults, ScheduledExecutorService executor,
                        Duration coalesce) {
        this.feed = new SnapshotFeed<>(store, List.of(Keys.nodesOf(NodeRole.STORAGE), Keys.TOPICS, Keys.PARTITIONS), range -> {
            ClusterMetadata all = ClusterRouting.from(range).all(identity.clusterId(), defaults);
            return (Function<Boolean, ClusterMetadata>) any -> all;
        }, executor, coalesce, "cluster metadata");
    }

    /**
     * Subscribes: {@code sink} gets the cluster at once, then after every change. {@code onFailure}
     * is called once if the feed cannot go on; nothing is sent after it.
     *
     * @return the subscription; closing it ends it
     */
    public SnapshotFeed.Handle subscribe(Consumer<ClusterMetadata> sink, Consumer<Throwable> onFailure) {
        return feed.subscribe(Boolean.TRUE, (cluster, revision) -> sink.accept(cluster.toBuilder().setRevision(revision).build()),
                onFailure);
    }

    /** How many subscriptions are open. */
    public int subscriberCount() {
        return feed.subscriberCount();
    }

    /** Ends every subscription with an error and stops watching. */
    @Override
    public void close() {
        feed.close();
    }
}
