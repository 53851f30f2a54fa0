package io.strata.groups.assignor;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Comparator;
import java.util.PriorityQueue;
import java.util.TreeSet;

/**
 * {@link UniformAssignor}'s algorithm when members subscribe to different topics (Kafka's
 * {@code GeneralUniformAssignmentBuilder}). There is no single quota. The result meets the
 * pairwise condition — <em>every partition's owner holds at most one partition more than any
 * other member subscribed to its topic</em> — and, beyond Kafka, the chained one: no member can
 * pass a partition through others to a member holding two or more fewer. That makes the counts
 * as even as the subscriptions allow; with identical subscriptions, floor/ceil.
 *
 * <ol>
 *   <li><b>Retain.</b> In member-id order, each member keeps the still valid partitions of its
 *       current target (a partition listed by two members goes to the first), up to a cap no
 *       balanced assignment can exceed ({@link #cap}), spread across its topics when it is over.</li>
 *   <li><b>Place.</b> The partitions nobody kept, topic by topic (the topics with the fewest
 *       subscribers first: they have the fewest choices), each to the subscriber that holds the
 *       fewest partitions (ties to the lower member id).</li>
 *   <li><b>Balance.</b> A work list of topics: for a topic, while the most loaded member holding
 *       one of its partitions holds two or more than its least loaded subscriber, one partition
 *       of the topic moves from the former to the latter — one placed in step 2 when it can, so
 *       retained partitions move last. A move changes two members' counts, so their other topics
 *       are checked again. Each move lowers the sum of squared counts, so this ends, and it ends
 *       exactly when the pairwise condition holds.</li>
 *   <li><b>Even out chains</b> ({@link #evenOutChains}), usually nothing to do after step 3.</li>
 * </ol>
 *
 * Step 2 uses one heap per topic. For step 3 each member sits in two ordered sets per topic it
 * subscribes to (its subscribers by count, and those of them holding a partition of it); a move
 * re-sorts the two members involved, O(T_m log M) for a member of T_m topics. The cap keeps
 * step 3 short even when a member comes back holding far more than its share.
 *
 * Not thread-safe; one instance per {@code assign} call.
 */
final class HeterogeneousUniformBuilder {

    private final GroupView group;
    private final int[][] owner;
    /** {@code previousOwner[t][p]}: the member that kept the partition in step 1, or -1. */
    private final int[][] previousOwner;
    private final int[] counts;
    private final int[][] subscribers;
    /** {@code slotOf[m][k]}: m's index among the subscribers of its k-th topic. */
    private final int[][] slotOf;
    /** Per topic and subscriber slot: the partitions of the topic it holds (null until it holds one). */
    private final Holding[][] holdings;
    private final TreeSet<Integer>[] byLoad;
    private final TreeSet<Integer>[] holdersByLoad;

    @SuppressWarnings("unchecked")
    private HeterogeneousUniformBuilder(GroupView group) {
        this.group = group;
        int topics = group.topicCount();
        int members = group.memberCount();
        this.owner = group.newOwnerTable();
        this.previousOwner = group.newOwnerTable();
        this.counts = new int[members];
        this.subscribers = group.subscribersByTopic();
        this.slotOf = new int[members][];
        for (int m = 0; m < members; m++) {
            slotOf[m] = new int[group.topicsOf(m).length];
        }
        int[] cursor = new int[members];
        for (int t = 0; t < topics; t++) {
            for (int s = 0; s < subscribers[t].length; s++) {
                int m = subscribers[t][s];
                slotOf[m][cursor[m]++] = s; // topics are visited ascending, as topicsOf lists them
            }
        }
        Comparator<Integer> load = (a, b) -> counts[a] != counts[b] ? Integer.compare(counts[a], counts[b])
                : Integer.compare(a, b);
        this.holdings = new Holding[topics][];
        this.byLoad = new TreeSet[topics];
        this.holdersByLoad = new TreeSet[topics];
        for (int t = 0; t < topics; t++) {
            holdings[t] = new Holding[subscribers[t].length];
            byLoad[t] = new TreeSet<>(load);
            holdersByLoad[t] = new TreeSet<>(load);
        }
    }

    /** @return the owner table for every member and topic of {@code group} */
    static int[][] assign(GroupView group) {
        HeterogeneousUniformBuilder builder = new HeterogeneousUniformBuilder(group);
        builder.retain();
        builder.place();
        builder.balance();
        builder.evenOutChains();
        return builder.owner;
    }

    /** Step 1, holding each member to {@link #cap}. */
    private void retain() {
        long total = 0;
        for (int t = 0; t < group.topicCount(); t++) {
            total += group.partitionCount(t);
        }
        for (int m = 0; m < group.memberCount(); m++) {
            long[] valid = group.validCurrentTarget(m);
            int free = 0;
            for (long tp : valid) {
                if (owner[GroupView.topicOf(tp)][GroupView.partitionOf(tp)] == GroupView.UNASSIGNED) {
                    valid[free++] = tp;
                }
            }
            for (long tp : GroupView.spreadPrefix(Arrays.copyOf(valid, free), cap(m, total))) {
                int t = GroupView.topicOf(tp);
                int p = GroupView.partitionOf(tp);
                owner[t][p] = m;
                previousOwner[t][p] = m;
                holding(t, slot(m, t)).kept.push(p);
                counts[m]++;
            }
        }
    }

    /**
     * The most partitions member {@code m} can hold in any assignment that meets the balance
     * condition; keeping more in step 1 would only make step 3 move them one by one. If m holds a
     * partition of topic t, each of t's S subscribers holds at least count(m) - 1, and together they
     * hold at most all {@code total} partitions, so count(m) &lt;= (total - 1) / S + 1. If m
     * holds partitions of the topics H only, count(m) is also at most their partition count. The
     * cap is the largest value those two bounds allow over every H: for H the k topics of m with
     * the loosest first bound, min(partitions of H, k-th loosest bound).
     */
    private int cap(int m, long total) {
        int[] topics = group.topicsOf(m);
        long[] byBound = new long[topics.length];
        for (int k = 0; k < topics.length; k++) {
            long bound = (total - 1) / subscribers[topics[k]].length + 1;
            byBound[k] = (bound << 32) | topics[k];
        }
        Arrays.sort(byBound);
        long partitions = 0;
        long cap = 0;
        for (int k = byBound.length - 1; k >= 0; k--) {
            long bound = byBound[k] >>> 32;
            partitions += group.partitionCount((int) byBound[k]);
            cap = Math.max(cap, Math.min(partitions, bound));
        }
        return (int) Math.min(cap, Integer.MAX_VALUE);
    }

    /**
     * Step 2. Within one topic only that topic's placements change counts, so a heap of its
     * subscribers keyed by (count, member) built when the topic's turn comes is exact. The
     * ordered sets for step 3 are built afterwards, once.
     */
    private void place() {
        Integer[] order = new Integer[group.topicCount()];
        Arrays.setAll(order, t -> t);
        Arrays.sort(order, Comparator.comparingInt((Integer t) -> subscribers[t].length).thenComparingInt(t -> t));
        for (int t : order) {
            PriorityQueue<Long> leastLoaded = null;
            for (int p = 0; p < owner[t].length; p++) {
                if (owner[t][p] != GroupView.UNASSIGNED) {
                    continue;
                }
                if (leastLoaded == null) {
                    leastLoaded = new PriorityQueue<>(subscribers[t].length);
                    for (int m : subscribers[t]) {
                        leastLoaded.add(loadKey(m));
                    }
                }
                int m = (int) (long) leastLoaded.poll();
                give(t, p, m);
                leastLoaded.add(loadKey(m));
            }
        }
        for (int m = 0; m < group.memberCount(); m++) {
            attach(m);
        }
    }

    /** Orders by count, then member index. */
    private long loadKey(int m) {
        return ((long) counts[m] << 32) | m;
    }

    private void balance() {
        ArrayDeque<Integer> work = new ArrayDeque<>();
        boolean[] queued = new boolean[group.topicCount()];
        for (int t = 0; t < group.topicCount(); t++) {
            work.add(t);
            queued[t] = true;
        }
        while (!work.isEmpty()) {
            int t = work.poll();
            queued[t] = false;
            while (!holdersByLoad[t].isEmpty()) {
                int from = holdersByLoad[t].last();
                int to = byLoad[t].first();
                if (counts[from] <= counts[to] + 1) {
                    break;
                }
                move(t, from, to);
                for (int m : new int[] {from, to}) {
                    for (int other : group.topicsOf(m)) {
                        if (other != t && !queued[other]) {
                            work.add(other);
                            queued[other] = true;
                        }
                    }
                }
            }
        }
    }

    /** Moves one partition of topic {@code t} from {@code from} to {@code to}: one it was placed, else one it kept. */
    private void move(int t, int from, int to) {
        detach(from);
        detach(to);
        transfer(t, from, to);
        attach(from);
        attach(to);
    }

    /** Moves one partition of {@code t} from {@code from} to {@code to} without touching the ordered sets. */
    private void transfer(int t, int from, int to) {
        Holding h = holdings[t][slot(from, t)];
        int p = h.placed.isEmpty() ? h.kept.pop() : h.placed.pop();
        counts[from]--;
        give(t, p, to);
    }

    /**
     * Step 4. Pairwise balance can leave a member two or more above another that it can only
     * reach through third members: A holds a partition of t, B subscribes to t and holds one of u,
     * C subscribes to u and holds two fewer than A. Moving one partition along each hop of such a
     * path lowers A, raises C and leaves the members between unchanged. An assignment with no such
     * path has the smallest sum of squared counts any assignment can have (the optimality condition
     * of semi-matchings, Harvey et al. 2003), so this step makes the balance as even as the
     * subscriptions allow. Each round labels every member with the smallest count it can reach
     * (one backward search, O(M log M + E) for E subscriptions), shifts along a shortest path from
     * the most loaded member that has one, and stops when none has; after step 3 there are
     * usually few or none. The ordered sets are not maintained any more.
     */
    private void evenOutChains() {
        int[] reach = new int[group.memberCount()];
        while (true) {
            labelSmallestReachable(reach);
            int source = -1;
            for (int m = 0; m < group.memberCount(); m++) {
                if (reach[m] <= counts[m] - 2 && (source == -1 || counts[m] > counts[source])) {
                    source = m;
                }
            }
            if (source == -1) {
                return;
            }
            shiftAlongShortestPath(source, reach[source]);
        }
    }

    /**
     * {@code reach[m]} := the smallest count of a member m can pass a partition to, directly or
     * through others (m itself included). Searches backwards from the members in ascending count
     * order, so the first search to reach a member carries its label; each member and topic is
     * visited once.
     */
    private void labelSmallestReachable(int[] reach) {
        Integer[] ascending = new Integer[group.memberCount()];
        Arrays.setAll(ascending, m -> m);
        Arrays.sort(ascending, Comparator.comparingInt((Integer m) -> counts[m]).thenComparingInt(m -> m));
        Arrays.fill(reach, -1);
        boolean[] topicSeen = new boolean[group.topicCount()];
        int[] queue = new int[group.memberCount()];
        for (int start : ascending) {
            if (reach[start] != -1) {
                continue;
            }
            int label = counts[start];
            reach[start] = label;
            int head = 0;
            int tail = 0;
            queue[tail++] = start;
            while (head < tail) {
                int v = queue[head++];
                for (int t : group.topicsOf(v)) {
                    if (topicSeen[t]) {
                        continue;
                    }
                    topicSeen[t] = true;
                    for (int s = 0; s < subscribers[t].length; s++) {
                        int u = subscribers[t][s];
                        if (reach[u] == -1 && holdings[t][s] != null && !holdings[t][s].isEmpty()) {
                            reach[u] = label;
                            queue[tail++] = u;
                        }
                    }
                }
            }
        }
    }

    /** Breadth-first from {@code source} to the nearest member holding {@code target}, then one partition per hop. */
    private void shiftAlongShortestPath(int source, int target) {
        int[] parent = new int[group.memberCount()];
        int[] viaTopic = new int[group.memberCount()];
        Arrays.fill(parent, -2);
        boolean[] topicSeen = new boolean[group.topicCount()];
        int[] queue = new int[group.memberCount()];
        int head = 0;
        int tail = 0;
        queue[tail++] = source;
        parent[source] = -1;
        int end = -1;
        while (head < tail && end == -1) {
            int u = queue[head++];
            int[] topics = group.topicsOf(u);
            for (int k = 0; k < topics.length && end == -1; k++) {
                int t = topics[k];
                Holding h = holdings[t][slotOf[u][k]];
                if (topicSeen[t] || h == null || h.isEmpty()) {
                    continue;
                }
                topicSeen[t] = true;
                for (int v : subscribers[t]) {
                    if (parent[v] == -2) {
                        parent[v] = u;
                        viaTopic[v] = t;
                        queue[tail++] = v;
                        if (counts[v] == target) {
                            end = v;
                            break;
                        }
                    }
                }
            }
        }
        if (end == -1) {
            throw new IllegalStateException("no path from member " + source + " to a member holding " + target);
        }
        for (int v = end; parent[v] != -1; v = parent[v]) {
            transfer(viaTopic[v], parent[v], v);
        }
    }

    /** Gives partition {@code p} of {@code t} to {@code m}; m must not be in the ordered sets. */
    private void give(int t, int p, int m) {
        owner[t][p] = m;
        counts[m]++;
        Holding h = holding(t, slot(m, t));
        (previousOwner[t][p] == m ? h.kept : h.placed).push(p);
    }

    /** Takes {@code m} out of its topics' ordered sets, before its count changes. */
    private void detach(int m) {
        for (int t : group.topicsOf(m)) {
            byLoad[t].remove(m);
            holdersByLoad[t].remove(m);
        }
    }

    /** Puts {@code m} back into its topics' ordered sets, after its count changed. */
    private void attach(int m) {
        int[] topics = group.topicsOf(m);
        for (int k = 0; k < topics.length; k++) {
            int t = topics[k];
            byLoad[t].add(m);
            Holding h = holdings[t][slotOf[m][k]];
            if (h != null && !h.isEmpty()) {
                holdersByLoad[t].add(m);
            }
        }
    }

    private int slot(int m, int t) {
        return slotOf[m][Arrays.binarySearch(group.topicsOf(m), t)];
    }

    private Holding holding(int t, int s) {
        if (holdings[t][s] == null) {
            holdings[t][s] = new Holding();
        }
        return holdings[t][s];
    }

    /** One member's partitions of one topic: those it was given in this call, and those it kept. */
    private static final class Holding {
        final IntStack placed = new IntStack();
        final IntStack kept = new IntStack();

        boolean isEmpty() {
            return placed.isEmpty() && kept.isEmpty();
        }
    }

    /** A growable stack of ints, so partition numbers are not boxed. */
    private static final class IntStack {
        private int[] items = new int[0];
        private int size;

        void push(int value) {
            if (size == items.length) {
                items = Arrays.copyOf(items, Math.max(4, size * 2));
            }
            items[size++] = value;
        }

        int pop() {
            return items[--size];
        }

        boolean isEmpty() {
            return size == 0;
        }
    }
}
