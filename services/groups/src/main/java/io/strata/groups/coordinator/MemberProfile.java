package io.strata.groups.coordinator;

/**
 * What a member told about itself: the fields of {@code MemberRecord} that are not reconciliation
 * state.
 *
 * @param instanceId         group.instance.id; "" for a dynamic member
 * @param clientId           for describe output
 * @param clientHost         the address its heartbeats come from
 * @param rack               "" when it told none
 * @param subscription       names or a regex
 * @param assignor           the server assignor it asked for (the default filled in)
 * @param rebalanceTimeoutMs how long it may take to give up partitions
 * @param sessionTimeoutMs   how long it may go without a heartbeat
 */
record MemberProfile(String instanceId, String clientId, String clientHost, String rack, Subscription subscription,
                     String assignor, int rebalanceTimeoutMs, int sessionTimeoutMs) {

    /** Whether the target assignment may differ between the two: subscription, assignor or rack changed. */
    boolean assignmentInputsDiffer(MemberProfile other) {
        return !subscription.equals(other.subscription) || !assignor.equals(other.assignor) || !rack.equals(other.rack);
    }

    boolean isStatic() {
        return !instanceId.isEmpty();
    }
}
