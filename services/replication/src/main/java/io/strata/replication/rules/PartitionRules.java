package io.strata.replication.rules;

import io.strata.proto.v1.PartitionState;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The leader and ISR rules for one partition (Kafka KRaft's, with KIP-966's eligible leader
 * replicas), as pure functions: state and facts in, state out. services/replication/DESIGN.md
 * states them in prose; every rule here has a test in {@code PartitionRulesTest}.
 *
 * <p>Epochs: a change of leader bumps {@code leader_epoch}; {@code partition_epoch} is left as it
 * is, because coordination's UpdatePartitionState sets it to the stored one + 1 when it writes.
 */
public final class PartitionRules {

    private PartitionRules() {
    }

    /**
     * The state {@code s} should have given who is live: dead members leave the ISR (never the
     * last one), ELR bookkeeping, and an election when the leader is not live.
     *
     * @return the new state and why, or empty when {@code s} is right as it is
     */
    public static Optional<Decision> reconcile(PartitionState s, LiveNodes nodes, TopicPolicy policy) {
        List<Integer> isr = s.getIsrList();
        int leader = s.getLeader();
        List<Integer> liveIsr = isr.stream().filter(nodes::isLive).toList();
        // Every member dead: the ISR is never empty, so one stays — the last leader if it was a member
        // (it saw the most), else the first member — and the partition goes offline.
        List<Integer> shrunk = !liveIsr.isEmpty() || isr.isEmpty() ? liveIsr : List.of(isr.contains(leader) ? leader : isr.get(0));
        List<Integer> newIsr = shrunk;
        List<String> why = new ArrayList<>();
        if (!newIsr.equals(isr)) {
            why.add("dead ISR members " + minus(isr, newIsr) + " removed");
        }
        int newLeader = leader;
        List<Integer> elrBase = elrAfter(s.getReplicasList(), isr, shrunk, s.getElrList(), policy.minIsr(), nodes);
        boolean clearElr = false;
        if (leader < 0 || !nodes.isLive(leader)) {
            String was = leader < 0 ? "no leader" : "leader " + leader + " not live";
            Optional<Integer> fromIsr = firstReplica(s, r -> shrunk.contains(r) && nodes.isLiveClean(r));
            Optional<Integer> fromElr = firstReplica(s, r -> elrBase.contains(r) && nodes.isLiveClean(r));
            Optional<Integer> lastStanding = elrBase.isEmpty() ? firstReplica(s, r -> shrunk.contains(r) && nodes.isLive(r))
                    : Optional.empty();
            Optional<Integer> unclean = policy.uncleanElection() ? firstReplica(s, nodes::isLive) : Optional.empty();
            if (fromIsr.isPresent()) {
                newLeader = fromIsr.get();
                why.add(was + "; elected " + newLeader + " from the ISR");
            } else if (fromElr.isPresent()) {
                newLeader = fromElr.get();
                newIsr = List.of(newLeader);
                why.add(was + "; no clean live ISR member; elected " + newLeader + " from the ELR");
            } else if (lastStanding.isPresent()) {
                newLeader = lastStanding.get();
                why.add(was + "; ELR empty; elected " + newLeader + ", the last ISR member standing, despite its unclean shutdown");
            } else if (unclean.isPresent()) {
                newLeader = unclean.get();
                newIsr = List.of(newLeader);
                clearElr = true;
                why.add(was + "; no eligible ISR or ELR member; UNCLEAN election of " + newLeader
                        + " (unclean.leader.election.enable=true): records may be lost");
            } else {
                newLeader = -1;
                if (leader >= 0) {
                    why.add(was + "; no eligible replica: partition offline");
                }
            }
        }
        List<Integer> finalIsr = newIsr;
        List<Integer> elr = clearElr ? List.of()
                : elrAfter(s.getReplicasList(), isr, finalIsr, s.getElrList(), policy.minIsr(), nodes);
        PartitionState.Builder after = s.toBuilder().setLeader(newLeader).clearIsr().addAllIsr(finalIsr).clearElr().addAllElr(elr);
        if (newLeader != leader) {
            after.setLeaderEpoch(s.getLeaderEpoch() + 1);
        }
        PartitionState next = after.build();
        if (next.equals(s)) {
            return Optional.empty();
        }
        if (why.isEmpty()) {
            why.add("ELR " + s.getElrList() + " -> " + elr + " (min.insync.replicas " + policy.minIsr() + ")");
        }
        return Optional.of(new Decision(next, String.join("; ", why)));
    }

    /**
     * Moves leadership to the preferred replica ({@code replicas[0]}) when it is live, in the ISR,
     * began its run cleanly and does not lead yet.
     */
    public static Optional<Decision> preferLeader(PartitionState s, LiveNodes nodes) {
        if (s.getReplicasCount() == 0) {
            return Optional.empty();
        }
        int preferred = s.getReplicas(0);
        if (s.getLeader() == preferred || !s.getIsrList().contains(preferred) || !nodes.isLiveClean(preferred)) {
            return Optional.empty();
        }
        return Optional.of(new Decision(s.toBuilder().setLeader(preferred).setLeaderEpoch(s.getLeaderEpoch() + 1).build(),
                "preferred replica " + preferred + " is live and in the ISR; leadership moves back to it from " + s.getLeader()));
    }

    /**
     * The ELR after the ISR went from {@code oldIsr} to {@code newIsr}: when the new ISR is at least
     * {@code minIsr} it is empty; otherwise it is the old ELR plus the members that left the ISR,
     * without members of the new ISR and without live nodes that shut down uncleanly; always
     * replicas only, in replica order.
     */
    public static List<Integer> elrAfter(List<Integer> replicas, List<Integer> oldIsr, List<Integer> newIsr, List<Integer> oldElr,
                                         int minIsr, LiveNodes nodes) {
        if (newIsr.size() >= minIsr) {
            return List.of();
        }
        Set<Integer> elr = new LinkedHashSet<>(oldElr);
        elr.addAll(minus(oldIsr, newIsr));
        return replicas.stream()
                .filter(elr::contains)
                .filter(r -> !newIsr.contains(r))
                .filter(r -> !nodes.isLiveUnclean(r))
                .toList();
    }

    private static Optional<Integer> firstReplica(PartitionState s, java.util.function.IntPredicate eligible) {
        for (int r : s.getReplicasList()) {
            if (eligible.test(r)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    static List<Integer> minus(Collection<Integer> a, Collection<Integer> b) {
        return a.stream().filter(x -> !b.contains(x)).toList();
    }

    /** A decided state and why. */
    public record Decision(PartitionState state, String reason) {
    }
}
