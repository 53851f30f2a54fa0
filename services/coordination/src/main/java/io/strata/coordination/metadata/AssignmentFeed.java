package io.strata.coordination.metadata;

import io.strata.coordination.layout.Keys;
import io.strata.coordination.store.MetadataStore;
import io.strata.coordination.topics.TopicDefaults;
import io.strata.coordination.topics.TopicTable;
import io.strata.proto.v1.AssignmentSnapshot;
import io.strata.coordination.nodes.LiveNodes;
import io.strata.proto.v1.Node;
import io.strata.proto.v1.NodeRole;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Storage nodes' assignment snapshots (WatchAssignments), on a {@link SnapshotFeed} of
 * {@code topics/}, {@code partitions/} and {@code nodes/storage/}: each refresh reads them at one
 * revision, and each subscribed node gets its partitions (state, topic id, effective config) and
 * the live ready storage nodes (where a follower finds its leader) whenever these differ from
 * what it got last: a storage node joining or leaving sends every subscriber a new snapshot. See {@link SnapshotFeed} for the concurrency rule.
 */
public final class AssignmentFeed implements AutoCloseable {

    private final SnapshotFeed<Integer, AssignmentSnapshot> feed;

    public AssignmentFeed(MetadataStore store, TopicDefaults defaults, ScheduledExecutorService executor, Duration coalesce) {
        this.feed = new SnapshotFeed<>(store, List.of(Keys.TOPICS, Keys.PARTITIONS, Keys.nodesOf(NodeRole.STORAGE)), range -> {
            TopicTable table = TopicTable.from(range);
            List<Node> nodes = LiveNodes.readyStorage(range.kvs());
            return (Function<Integer, AssignmentSnapshot>) nodeId -> AssignmentSnapshot.newBuilder()
                    .addAllPartitions(table.assignmentsOf(nodeId, defaults))
                    .addAllNodes(nodes)
                    .build();
        }, executor, coalesce, "assignment");
    }

    /**
     * Subscribes {@code nodeId}: {@code sink} gets its snapshot at once, then after every
     * change of it. {@code onFailure} is called once if the feed cannot go on (store closed or
     * failed); nothing is sent after it.
     *
     * @return the subscription; closing it ends it
     */
    public SnapshotFeed.Handle subscribe(int nodeId, Consumer<AssignmentSnapshot> sink, Consumer<Throwable> onFailure) {
        return feed.subscribe(nodeId, (snapshot, revision) -> sink.accept(snapshot.toBuilder().setRevision(revision).build()),
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
