package io.strata.groups.assignor;

import java.util.Arrays;

/**
 * {@link UniformAssignor}'s algorithm when every member that subscribes to anything subscribes
 * to the same topics (Kafka's {@code OptimizedUniformAssignmentBuilder}). With P partitions and
 * M such members, every member's quota is {@code floor(P/M)}, and {@code P mod M} of them get one
 * more. Runs in O(P log P + M).
 *
 * <ol>
 *   <li><b>Retain.</b> In member-id order, each member keeps the still valid partitions of its
 *       current target (a partition listed by two members goes to the first) up to
 *       {@code floor(P/M)}, or {@code floor(P/M)+1} while extra slots remain. A member over its
 *       quota keeps a subset spread across its topics (one per topic in turn), so its share stays
 *       spread. This keeps the most partitions any balanced assignment can keep.</li>
 *   <li><b>Settle quotas.</b> Extra slots left over go to the remaining members in member-id order.</li>
 *   <li><b>Fill.</b> The partitions nobody kept, in topic-then-partition order, are dealt one at a
 *       time to the members below their quota in turn (round-robin, member-id order), so a member's
 *       new partitions come from several topics rather than one block of one topic.</li>
 * </ol>
 *
 * Consequences the tests pin: from a balanced assignment, a joining member receives exactly
 * the partitions that move, and a leaving member's partitions are the only ones that move.
 */
final class HomogeneousUniformBuilder {

    private HomogeneousUniformBuilder() {
    }

    /**
     * @param group   the group
     * @param members the members that subscribe to something, ascending; all subscribe to every
     *                topic of {@code group}
     * @return the owner table
     */
    static int[][] assign(GroupView group, int[] members) {
        int[][] owner = group.newOwnerTable();
        if (members.length == 0) {
            return owner;
        }
        long total = 0;
        for (int t = 0; t < group.topicCount(); t++) {
            total += group.partitionCount(t);
        }
        int minQuota = (int) (total / members.length);
        int extras = (int) (total % members.length);

        int[] owned = new int[members.length];
        boolean[] hasExtra = new boolean[members.length];
        for (int i = 0; i < members.length; i++) {
            long[] valid = unclaimed(group.validCurrentTarget(members[i]), owner);
            int quota = minQuota;
            if (valid.length > minQuota && extras > 0) {
                quota++;
                extras--;
                hasExtra[i] = true;
            }
            for (long tp : GroupView.spreadPrefix(valid, quota)) {
                owner[GroupView.topicOf(tp)][GroupView.partitionOf(tp)] = members[i];
            }
            owned[i] = Math.min(valid.length, quota);
        }

        int[] deficit = new int[members.length];
        for (int i = 0; i < members.length; i++) {
            int quota = minQuota;
            if (hasExtra[i]) {
                quota++;
            } else if (extras > 0) {
                quota++;
                extras--;
            }
            deficit[i] = quota - owned[i];
        }
        fillRoundRobin(group, owner, members, deficit);
        return owner;
    }

    /** The partitions of {@code valid} not owned yet (an inconsistent previous target may list one twice). */
    private static long[] unclaimed(long[] valid, int[][] owner) {
        int n = 0;
        long[] free = new long[valid.length];
        for (long tp : valid) {
            if (owner[GroupView.topicOf(tp)][GroupView.partitionOf(tp)] == GroupView.UNASSIGNED) {
                free[n++] = tp;
            }
        }
        return n == valid.length ? valid : Arrays.copyOf(free, n);
    }

    /**
     * Deals every unowned partition, in topic-then-partition order, to the members with a positive
     * {@code deficit}, one each in turn, each until its deficit is met.
     */
    private static void fillRoundRobin(GroupView group, int[][] owner, int[] members, int[] deficit) {
        int[] turn = new int[members.length];
        int active = 0;
        for (int i = 0; i < members.length; i++) {
            if (deficit[i] > 0) {
                turn[active++] = i;
            }
        }
        int next = 0;
        for (int t = 0; t < group.topicCount(); t++) {
            for (int p = 0; p < owner[t].length; p++) {
                if (owner[t][p] != GroupView.UNASSIGNED) {
                    continue;
                }
                if (active == 0) {
                    throw new IllegalStateException("quotas do not cover partition " + t + "-" + p);
                }
                int i = turn[next];
                owner[t][p] = members[i];
                deficit[i]--;
                if (++next == active) {
                    // End of a round: drop the members whose deficit is met, keeping the others' order.
                    int still = 0;
                    for (int k = 0; k < active; k++) {
                        if (deficit[turn[k]] > 0) {
                            turn[still++] = turn[k];
                        }
                    }
                    active = still;
                    next = 0;
                }
            }
        }
    }
}
