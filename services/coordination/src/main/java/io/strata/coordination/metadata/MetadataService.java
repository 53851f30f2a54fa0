package io.strata.coordination.metadata;

import io.strata.coordination.CoordinationException;
import io.strata.coordination.store.MetadataStore;
import io.strata.coordination.topics.TopicDefaults;
import io.strata.proto.TopicNames;
import io.strata.proto.v1.ClusterMetadata;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.MetadataRequest;
import io.strata.proto.v1.TopicMetadata;

import java.util.LinkedHashSet;

/**
 * Answers GetMetadata: what a client needs to route — the live ready storage nodes and
 * ingestion endpoints, the topics and their partitions — from a {@link MetadataView} that holds
 * every change up to a revision read from the store at the start of the call (so an answer
 * never misses a write acknowledged before the call, and a store that does not answer fails the
 * call). What is derived from the routing keys (parsed nodes, topics, their effective configs)
 * is computed once per view version and shared by all calls until the next change.
 * Thread-safe.
 */
public final class MetadataService implements AutoCloseable {

    private final MetadataStore store;
    private final ClusterIdentity identity;
    private final TopicDefaults defaults;
    private final MetadataView view;
    private volatile Routing routing;

    /** What the routing keys of one view version answer. */
    private record Routing(long version, ClusterRouting routing) {
    }

    public MetadataService(MetadataStore store, ClusterIdentity identity, TopicDefaults defaults) {
        this.store = store;
        this.identity = identity;
        this.defaults = defaults;
        this.view = new MetadataView(store);
    }

    /**
     * The cluster id, the live <em>ready</em> storage nodes and ingestion endpoints, and the
     * requested topics (all when none is named); names of topics that do not exist go to
     * {@code unknown_topics}.
     *
     * @throws CoordinationException INVALID_TOPIC when a requested name can never be a topic
     */
    public ClusterMetadata metadata(MetadataRequest request) {
        for (String name : request.getTopicsList()) {
            String error = TopicNames.validate(name);
            if (error != null) {
                throw new CoordinationException(ErrorCode.INVALID_TOPIC, error);
            }
        }
        String clusterId = identity.clusterId();
        MetadataView.Snapshot snapshot = view.snapshot(store.currentRevision());
        ClusterRouting r = routing(snapshot);
        ClusterMetadata.Builder answer = r.answer(clusterId, defaults).setRevision(snapshot.revision());
        if (request.getTopicsCount() == 0) {
            answer.addAllTopics(r.topics().values());
        } else {
            for (String name : new LinkedHashSet<>(request.getTopicsList())) {
                TopicMetadata t = r.topics().get(name);
                if (t != null) {
                    answer.addTopics(t);
                } else {
                    answer.addUnknownTopics(name);
                }
            }
        }
        return answer.build();
    }

    private ClusterRouting routing(MetadataView.Snapshot snapshot) {
        Routing r = routing;
        if (r != null && r.version() == snapshot.version()) {
            return r.routing();
        }
        r = new Routing(snapshot.version(), ClusterRouting.from(snapshot.routing()));
        Routing current = routing;
        if (current == null || current.version() < r.version()) {
            routing = r;
        }
        return r.routing();
    }

    /** Stops the view's watch. */
    @Override
    public void close() {
        view.close();
    }
}
