package io.strata.client.admin;

/**
 * One line of {@link StrataAdmin#listGroups()}.
 *
 * @param groupId the group
 * @param state   {@code stable}, {@code reconciling}, {@code assigning}, {@code empty} or {@code dead}
 * @param members the number of members
 */
public record GroupListing(String groupId, String state, int members) {
}
