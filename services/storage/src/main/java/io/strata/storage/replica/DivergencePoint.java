package io.strata.storage.replica;

import java.util.function.IntToLongFunction;

/**
 * Where a follower's log stops agreeing with its leader's (KIP-101, as refined by KIP-279): the
 * follower asked the leader for the end of its own latest epoch {@code askedEpoch}; the leader
 * answered with the largest epoch it knows that is not above it and where that epoch ends.
 */
final class DivergencePoint {

    private DivergencePoint() {
    }

    /**
     * @param askedEpoch        the follower's latest epoch
     * @param leaderEpoch       the leader's answer: its largest epoch <= askedEpoch, or -1 when it knows none
     * @param leaderEndOffset   where that epoch ends on the leader (its log start when leaderEpoch is -1)
     * @param localEndOfEpoch   where an epoch ends in the follower's own log
     * @return the offset the follower's log must not go past
     */
    static long of(int askedEpoch, int leaderEpoch, long leaderEndOffset, IntToLongFunction localEndOfEpoch) {
        if (leaderEpoch == askedEpoch || leaderEpoch < 0) {
            // Same epoch: it ends where the leader says. No common epoch: nothing past the leader's start is shared.
            return leaderEndOffset;
        }
        // The leader never had our later epochs: the common history ends where its older epoch ends on both sides.
        return Math.min(leaderEndOffset, localEndOfEpoch.applyAsLong(leaderEpoch));
    }
}
