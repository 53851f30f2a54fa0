package io.strata.groups.coordinator;

/**
 * Where a member is in its reconciliation (Kafka's {@code MemberState}); the wire names are the
 * ones {@code MemberRecord.state} stores.
 */
enum MemberState {
    /** It owns its share of the target it was last reconciled to; nothing to wait for. */
    STABLE("stable"),
    /** It must give up {@code pendingRevocation} (stop listing it in owned_partitions) before it moves on. */
    UNREVOKED_PARTITIONS("unrevoked_partitions"),
    /** It is at the assignment epoch but part of its target is still held by other members. */
    UNRELEASED_PARTITIONS("unreleased_partitions");

    private final String wireName;

    MemberState(String wireName) {
        this.wireName = wireName;
    }

    String wireName() {
        return wireName;
    }

    /** The state stored as {@code name}; an unknown name (a newer writer) reads as STABLE, which reconciles from scratch. */
    static MemberState fromWireName(String name) {
        for (MemberState state : values()) {
            if (state.wireName.equals(name)) {
                return state;
            }
        }
        return STABLE;
    }
}
