package io.strata.storage.replica;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class DivergencePointTest {

    /** The follower's epochs: 0 from offset 0, 2 from 100, 4 from 150; its log ends at 180. */
    private static long localEnd(int epoch) {
        Map<Integer, Long> ends = Map.of(0, 100L, 1, 100L, 2, 150L, 3, 150L, 4, 180L);
        return ends.get(epoch);
    }

    @Test
    void whenTheLeaderKnowsOurLatestEpochOurLogEndsWhereItEndsOnTheLeader() {
        assertEquals(170, DivergencePoint.of(4, 4, 170, DivergencePointTest::localEnd));
        assertEquals(200, DivergencePoint.of(4, 4, 200, DivergencePointTest::localEnd), "the leader has more: nothing to cut");
    }

    @Test
    void whenTheLeaderOnlyKnowsAnOlderEpochTheCommonHistoryEndsWhereItEndsOnEitherSide() {
        // A deposed leader wrote epoch 4 from 150 that the new leader never had; the new leader's epoch 2 ends at 160.
        assertEquals(150, DivergencePoint.of(4, 2, 160, DivergencePointTest::localEnd));
        // The leader's epoch 2 ended earlier than ours: cut there.
        assertEquals(140, DivergencePoint.of(4, 2, 140, DivergencePointTest::localEnd));
    }

    @Test
    void whenTheLeaderKnowsNoEpochAsOldAsOursNothingPastItsLogStartIsShared() {
        assertEquals(0, DivergencePoint.of(4, -1, 0, DivergencePointTest::localEnd));
    }
}
