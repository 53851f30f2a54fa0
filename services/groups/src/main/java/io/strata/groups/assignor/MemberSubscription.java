package io.strata.groups.assignor;

import java.util.Optional;
import java.util.Set;

/**
 * One member as an assignor sees it.
 *
 * @param memberId      the member's id
 * @param instanceId    its group.instance.id when it is a static member
 * @param rack          its rack, when it told one
 * @param topics        the topics it subscribes to, already resolved (a regex subscription is
 *                      expanded against the existing topics; topics that do not exist are left out)
 * @param currentTarget its share of the previous target assignment (empty for a new member):
 *                      what a sticky assignor keeps where it can
 */
public record MemberSubscription(String memberId, Optional<String> instanceId, Optional<String> rack,
                                 Set<String> topics, Set<TopicPartition> currentTarget) {

    public MemberSubscription {
        topics = Set.copyOf(topics);
        currentTarget = Set.copyOf(currentTarget);
    }
}
