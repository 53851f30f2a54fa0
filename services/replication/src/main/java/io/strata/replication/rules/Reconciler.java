package io.strata.replication.rules;

import io.strata.proto.v1.ClusterMetadata;
import io.strata.proto.v1.PartitionState;
import io.strata.proto.v1.TopicMetadata;
import io.strata.proto.v1.TopicPartition;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The controller's decisions for a whole cluster snapshot (WatchMetadata's ClusterMetadata):
 * pure — no I/O, no clock, no state — so the same snapshot always gives the same changes. Per
 * partition it applies {@link PartitionRules#reconcile}, then {@link ReassignmentRules#progress}
 * (a reassignment whose target replicas have all caught up is finished), and, for the partitions
 * selected for it, {@link PartitionRules#preferLeader} on top.
 */
public final class Reconciler {

    private Reconciler() {
    }

    /** The changes the snapshot calls for (leader elections, ISR and ELR updates, finished reassignments). */
    public static List<PartitionChange> reconcile(ClusterMetadata snapshot) {
        return reconcile(snapshot, tp -> false);
    }

    /**
     * As {@link #reconcile(ClusterMetadata)}, and moves leadership to the preferred replica of
     * the partitions {@code preferred} selects where it may.
     */
    public static List<PartitionChange> reconcile(ClusterMetadata snapshot, Predicate<TopicPartition> preferred) {
        LiveNodes nodes = LiveNodes.of(snapshot.getNodesList());
        List<PartitionChange> changes = new ArrayList<>();
        for (TopicMetadata topic : snapshot.getTopicsList()) {
            TopicPolicy policy = TopicPolicy.of(snapshot.getDefaultConfigsMap(), topic.getConfigsMap());
            for (PartitionState state : topic.getPartitionsList()) {
                Optional<PartitionRules.Decision> decision = PartitionRules.reconcile(state, nodes, policy);
                PartitionState current = decision.map(PartitionRules.Decision::state).orElse(state);
                String reason = decision.map(PartitionRules.Decision::reason).orElse(null);
                Optional<PartitionRules.Decision> reassigned = ReassignmentRules.progress(current, nodes);
                if (reassigned.isPresent()) {
                    current = reassigned.get().state();
                    reason = reason == null ? reassigned.get().reason() : reason + "; " + reassigned.get().reason();
                }
                TopicPartition tp = TopicPartition.newBuilder().setTopic(topic.getName()).setPartition(state.getPartition()).build();
                if (preferred.test(tp)) {
                    Optional<PartitionRules.Decision> moved = PartitionRules.preferLeader(current, nodes);
                    if (moved.isPresent()) {
                        current = moved.get().state();
                        reason = reason == null ? moved.get().reason() : reason + "; " + moved.get().reason();
                    }
                }
                if (reason != null && !current.equals(state)) {
                    changes.add(new PartitionChange(topic.getName(), state, current, reason));
                }
            }
        }
        return changes;
    }
}
