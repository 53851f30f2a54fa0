package io.strata.groups.coordinator;

import io.strata.groups.assignor.TopicPartition;
import io.strata.proto.v1.OffsetCommit;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A group's committed offsets as stored: a commit enters only after the write carrying it
 * completed. The group's {@link OffsetWriter} stores one write at a time, in the order the commits
 * were accepted, so each completed write replaces what it holds. Not thread-safe: its group's lock covers it.
 */
final class OffsetCache {

    private final Map<TopicPartition, OffsetCommit> offsets = new HashMap<>();

    /** A write completed: its offsets replace the partitions' earlier ones. */
    void stored(List<OffsetCommit> commits) {
        for (OffsetCommit commit : commits) {
            offsets.put(new TopicPartition(commit.getTopic(), commit.getPartition()), commit);
        }
    }

    /** Offsets read from the store (a take-over), into a fresh group. */
    void load(List<OffsetCommit> commits) {
        stored(commits);
    }

    Optional<OffsetCommit> get(TopicPartition partition) {
        return Optional.ofNullable(offsets.get(partition));
    }

    Set<TopicPartition> partitions() {
        return offsets.keySet();
    }

    /** Every committed offset, by topic and partition. */
    List<OffsetCommit> all() {
        List<TopicPartition> partitions = new ArrayList<>(offsets.keySet());
        partitions.sort(null);
        List<OffsetCommit> all = new ArrayList<>(partitions.size());
        for (TopicPartition partition : partitions) {
            all.add(offsets.get(partition));
        }
        return all;
    }

    boolean isEmpty() {
        return offsets.isEmpty();
    }
}
