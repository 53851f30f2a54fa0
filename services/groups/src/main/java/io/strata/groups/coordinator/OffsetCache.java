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
 * A group's committed offsets as stored: a commit enters only after its store completed. Commits
 * of the same partition may complete out of order, so each carries the sequence number it was
 * accepted with, and an older one never overwrites a newer. Not thread-safe: its group's lock covers it.
 */
final class OffsetCache {

    private record Entry(OffsetCommit commit, long sequence) {
    }

    private final Map<TopicPartition, Entry> offsets = new HashMap<>();
    private long nextSequence = 1;

    /** The sequence number for a commit being accepted now. */
    long nextSequence() {
        return nextSequence++;
    }

    /** A stored commit, accepted with {@code sequence}. */
    void apply(long sequence, List<OffsetCommit> commits) {
        for (OffsetCommit commit : commits) {
            TopicPartition partition = new TopicPartition(commit.getTopic(), commit.getPartition());
            Entry current = offsets.get(partition);
            if (current == null || current.sequence() < sequence) {
                offsets.put(partition, new Entry(commit, sequence));
            }
        }
    }

    /** Offsets read from the store (a take-over): older than any commit accepted from now on. */
    void load(List<OffsetCommit> commits) {
        apply(0, commits);
    }

    Optional<OffsetCommit> get(TopicPartition partition) {
        Entry entry = offsets.get(partition);
        return entry == null ? Optional.empty() : Optional.of(entry.commit());
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
            all.add(offsets.get(partition).commit());
        }
        return all;
    }

    boolean isEmpty() {
        return offsets.isEmpty();
    }
}
