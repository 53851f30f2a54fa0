package io.strata.groups.coordinator;

import io.strata.groups.assignor.TopicPartition;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static io.strata.groups.coordinator.Fixture.partitions;
import static org.assertj.core.api.Assertions.assertThat;

class MemberReconcilerTest {

    private static MemberReconciler.Progress progress(int epoch, MemberState state, Set<TopicPartition> assigned,
                                                      Set<TopicPartition> pending) {
        return new MemberReconciler.Progress(epoch, state, assigned, pending);
    }

    @Test
    void aStableMemberAtTheAssignmentEpochStaysAsItIs() {
        MemberReconciler.Progress current = progress(3, MemberState.STABLE, partitions("t", 0), Set.of());
        assertThat(MemberReconciler.reconcile(current, partitions("t", 1), 3, Set.of(), p -> false)).isSameAs(current);
    }

    @Test
    void partitionsLeavingTheTargetAreRevokedFirstAtTheSameEpoch() {
        MemberReconciler.Progress next = MemberReconciler.reconcile(
                progress(3, MemberState.STABLE, partitions("t", 0, 1), Set.of()), partitions("t", 1, 2), 4,
                partitions("t", 0, 1), p -> false);
        assertThat(next).isEqualTo(progress(3, MemberState.UNREVOKED_PARTITIONS, partitions("t", 1), partitions("t", 0)));
    }

    @Test
    void aRevocationIsWaitedForUntilOwnedNoLongerListsIt() {
        MemberReconciler.Progress unrevoked = progress(3, MemberState.UNREVOKED_PARTITIONS, partitions("t", 1),
                partitions("t", 0));
        assertThat(MemberReconciler.reconcile(unrevoked, partitions("t", 1, 2), 4, partitions("t", 0, 1), p -> false))
                .isSameAs(unrevoked);
        assertThat(MemberReconciler.reconcile(unrevoked, partitions("t", 1, 2), 4, partitions("t", 1), p -> false))
                .isEqualTo(progress(4, MemberState.STABLE, partitions("t", 1, 2), Set.of()));
    }

    @Test
    void partitionsStillHeldByOthersWaitAtTheNewEpoch() {
        TopicPartition held = new TopicPartition("t", 2);
        MemberReconciler.Progress next = MemberReconciler.reconcile(
                progress(3, MemberState.STABLE, partitions("t", 1), Set.of()), partitions("t", 1, 2, 3), 4,
                partitions("t", 1), held::equals);
        assertThat(next).isEqualTo(progress(4, MemberState.UNRELEASED_PARTITIONS, partitions("t", 1, 3), Set.of()));
        MemberReconciler.Progress released = MemberReconciler.reconcile(next, partitions("t", 1, 2, 3), 4,
                partitions("t", 1, 3), p -> false);
        assertThat(released).isEqualTo(progress(4, MemberState.STABLE, partitions("t", 1, 2, 3), Set.of()));
    }
}
