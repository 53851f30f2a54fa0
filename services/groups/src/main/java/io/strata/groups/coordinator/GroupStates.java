package io.strata.groups.coordinator;

/** The vocabulary of {@code GroupSummary.state} and {@code GroupDescription.state}. */
final class GroupStates {

    /** No members (a group may exist through its committed offsets alone). */
    static final String EMPTY = "empty";
    /** The group epoch moved and the target assignment is not computed yet. */
    static final String ASSIGNING = "assigning";
    /** Some member is not yet stable at the assignment epoch. */
    static final String RECONCILING = "reconciling";
    static final String STABLE = "stable";
    /** Being deleted. */
    static final String DEAD = "dead";

    private GroupStates() {
    }
}
