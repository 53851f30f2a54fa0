package io.strata.groups.assignor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One {@code assign} call's input, normalised once so the assignors work on small integers and
 * never on hash-map iteration order.
 *
 * <ul>
 *   <li>members are numbered 0..M-1 in member-id order (the key of the members map);</li>
 *   <li>topics are numbered 0..T-1 in name order, and are exactly the topics some member
 *       subscribes to that exist with at least one partition: a subscribed topic missing from
 *       {@code partitionCounts} has nothing to assign, a topic nobody subscribes to is ignored;</li>
 *   <li>an assignment is an owner table {@code owner[topic][partition] = member} (-1 while
 *       unassigned), turned into the result map by {@link #toResult}.</li>
 * </ul>
 *
 * Not thread-safe; lives for one {@code assign} call.
 */
final class GroupView {

    static final int UNASSIGNED = -1;

    private final String[] memberIds;
    private final MemberSubscription[] members;
    private final String[] topics;
    private final int[] partitionCounts;
    private final Map<String, Integer> topicIndex;
    private final int[][] memberTopics;

    private GroupView(String[] memberIds, MemberSubscription[] members, String[] topics, int[] partitionCounts,
                      Map<String, Integer> topicIndex, int[][] memberTopics) {
        this.memberIds = memberIds;
        this.members = members;
        this.topics = topics;
        this.partitionCounts = partitionCounts;
        this.topicIndex = topicIndex;
        this.memberTopics = memberTopics;
    }

    /**
     * @throws IllegalArgumentException if a partition count is missing a value or negative
     */
    static GroupView of(Map<String, MemberSubscription> members, Map<String, Integer> partitionCounts) {
        Objects.requireNonNull(members, "members");
        Objects.requireNonNull(partitionCounts, "partitionCounts");
        TreeMap<String, MemberSubscription> sorted = new TreeMap<>(members);
        String[] ids = sorted.keySet().toArray(String[]::new);
        MemberSubscription[] subs = sorted.values().toArray(MemberSubscription[]::new);

        Set<String> named = new HashSet<>();
        for (MemberSubscription m : subs) {
            named.addAll(m.topics());
        }
        TreeSet<String> subscribed = new TreeSet<>();
        for (String topic : named) {
            if (partitionCount(partitionCounts, topic) > 0) {
                subscribed.add(topic);
            }
        }
        String[] topics = subscribed.toArray(String[]::new);
        int[] counts = new int[topics.length];
        Map<String, Integer> index = new HashMap<>();
        for (int t = 0; t < topics.length; t++) {
            counts[t] = partitionCount(partitionCounts, topics[t]);
            index.put(topics[t], t);
        }
        int[][] memberTopics = new int[subs.length][];
        for (int m = 0; m < subs.length; m++) {
            int[] own = new int[subs[m].topics().size()];
            int n = 0;
            for (String topic : subs[m].topics()) {
                Integer t = index.get(topic);
                if (t != null) {
                    own[n++] = t;
                }
            }
            own = Arrays.copyOf(own, n);
            Arrays.sort(own);
            memberTopics[m] = own;
        }
        return new GroupView(ids, subs, topics, counts, index, memberTopics);
    }

    private static int partitionCount(Map<String, Integer> partitionCounts, String topic) {
        if (!partitionCounts.containsKey(topic)) {
            return 0;
        }
        Integer count = partitionCounts.get(topic);
        if (count == null || count < 0) {
            throw new IllegalArgumentException("partition count of topic " + topic + " must be >= 0, got " + count);
        }
        return count;
    }

    int memberCount() {
        return memberIds.length;
    }

    int topicCount() {
        return topics.length;
    }

    MemberSubscription member(int member) {
        return members[member];
    }

    int partitionCount(int topic) {
        return partitionCounts[topic];
    }

    /** The topics member {@code member} subscribes to that have partitions, ascending; do not modify. */
    int[] topicsOf(int member) {
        return memberTopics[member];
    }

    boolean subscribes(int member, int topic) {
        return Arrays.binarySearch(memberTopics[member], topic) >= 0;
    }

    /** The members subscribed to each topic, in member-id order. */
    int[][] subscribersByTopic() {
        int[] sizes = new int[topics.length];
        for (int[] ts : memberTopics) {
            for (int t : ts) {
                sizes[t]++;
            }
        }
        int[][] subscribers = new int[topics.length][];
        for (int t = 0; t < topics.length; t++) {
            subscribers[t] = new int[sizes[t]];
            sizes[t] = 0;
        }
        for (int m = 0; m < memberTopics.length; m++) {
            for (int t : memberTopics[m]) {
                subscribers[t][sizes[t]++] = m;
            }
        }
        return subscribers;
    }

    /**
     * The partitions of {@code member}'s current target it may still own: of a topic it subscribes
     * to and below the topic's partition count. Encoded by {@link #encode}, ascending.
     */
    long[] validCurrentTarget(int member) {
        Set<TopicPartition> target = members[member].currentTarget();
        long[] valid = new long[target.size()];
        int n = 0;
        for (TopicPartition tp : target) {
            Integer t = topicIndex.get(tp.topic());
            if (t != null && tp.partition() >= 0 && tp.partition() < partitionCounts[t] && subscribes(member, t)) {
                valid[n++] = encode(t, tp.partition());
            }
        }
        valid = Arrays.copyOf(valid, n);
        Arrays.sort(valid);
        return valid;
    }

    /** A (topic index, partition) pair as one long whose natural order is topic, then partition. */
    static long encode(int topic, int partition) {
        return ((long) topic << 32) | partition;
    }

    static int topicOf(long encoded) {
        return (int) (encoded >>> 32);
    }

    static int partitionOf(long encoded) {
        return (int) encoded;
    }

    /**
     * At most {@code limit} of the sorted partitions {@code sorted}, taken one per topic in turn
     * (the first of each topic, then the second of each, ...), so what a member keeps stays spread
     * across its topics.
     */
    static long[] spreadPrefix(long[] sorted, int limit) {
        if (sorted.length <= limit) {
            return sorted;
        }
        int runs = 0;
        int[] runStart = new int[sorted.length + 1];
        for (int i = 0; i < sorted.length; i++) {
            if (i == 0 || topicOf(sorted[i]) != topicOf(sorted[i - 1])) {
                runStart[runs++] = i;
            }
        }
        runStart[runs] = sorted.length;
        long[] taken = new long[limit];
        int n = 0;
        for (int round = 0; n < limit; round++) {
            for (int r = 0; r < runs && n < limit; r++) {
                int i = runStart[r] + round;
                if (i < runStart[r + 1]) {
                    taken[n++] = sorted[i];
                }
            }
        }
        return taken;
    }

    /** A table with a row per topic, every partition {@link #UNASSIGNED}. */
    int[][] newOwnerTable() {
        int[][] owner = new int[topics.length][];
        for (int t = 0; t < topics.length; t++) {
            owner[t] = new int[partitionCounts[t]];
            Arrays.fill(owner[t], UNASSIGNED);
        }
        return owner;
    }

    /**
     * The result map: an entry for every member in member-id order, each an unmodifiable set
     * iterating in partition order.
     *
     * @throws IllegalStateException if a partition was left unassigned (a bug in the assignor)
     */
    Map<String, Set<TopicPartition>> toResult(int[][] owner) {
        List<List<TopicPartition>> owned = new ArrayList<>(memberIds.length);
        for (int m = 0; m < memberIds.length; m++) {
            owned.add(new ArrayList<>());
        }
        for (int t = 0; t < topics.length; t++) {
            for (int p = 0; p < owner[t].length; p++) {
                if (owner[t][p] == UNASSIGNED) {
                    throw new IllegalStateException("partition " + topics[t] + "-" + p + " left unassigned");
                }
                owned.get(owner[t][p]).add(new TopicPartition(topics[t], p));
            }
        }
        Map<String, Set<TopicPartition>> result = new LinkedHashMap<>();
        for (int m = 0; m < memberIds.length; m++) {
            result.put(memberIds[m], Collections.unmodifiableSet(new LinkedHashSet<>(owned.get(m))));
        }
        return Collections.unmodifiableMap(result);
    }
}
