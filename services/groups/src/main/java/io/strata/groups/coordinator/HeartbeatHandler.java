package io.strata.groups.coordinator;

import io.strata.groups.assignor.TopicPartition;
import io.strata.proto.v1.Assignment;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.GroupHeartbeatResponse;
import org.jboss.logging.Logger;

import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Joins, heartbeats and leaves against one group (KIP-848's ConsumerGroupHeartbeat), called under
 * the group's lock. Every refusal is checked before anything changes, except fencing, which
 * removes the fenced membership and then refuses.
 *
 * <p>Static membership follows Kafka's KIP-345: a join naming an instance id takes the place of
 * the member holding it, whether that one left temporarily (-2) or still counts as live (its
 * process crashed and restarted within the session timeout, so it never said goodbye). A live
 * member replaced so is fenced: its member id answers FENCED_INSTANCE_ID (see {@link #notAMember}).
 */
final class HeartbeatHandler {

    private static final Logger LOG = Logger.getLogger(HeartbeatHandler.class);

    private final GroupSettings settings;
    private final Supplier<String> memberIds;

    HeartbeatHandler(GroupSettings settings, Supplier<String> memberIds) {
        this.settings = settings;
        this.memberIds = memberIds;
    }

    /**
     * Handles {@code heartbeat}; the target assignment is (re)computed in the same call when the
     * group epoch moved.
     *
     * @param topics the partition count of every existing topic
     * @throws GroupException the refusal to answer
     */
    GroupHeartbeatResponse handle(ConsumerGroup group, Heartbeat heartbeat, long nowMs, Map<String, Integer> topics) {
        if (heartbeat.leave()) {
            return leave(group, heartbeat, nowMs, topics);
        }
        if (heartbeat.join()) {
            return join(group, heartbeat, nowMs, topics);
        }
        return beat(group, heartbeat, nowMs, topics);
    }

    private GroupHeartbeatResponse join(ConsumerGroup group, Heartbeat heartbeat, long nowMs, Map<String, Integer> topics) {
        // A member rejoining under its old member id (after FENCED_MEMBER_EPOCH, say) gives up
        // that membership and joins afresh.
        GroupMember previous = heartbeat.memberId().isEmpty() ? null : group.member(heartbeat.memberId()).orElse(null);
        GroupMember holder = heartbeat.instanceId().isEmpty()
                ? null : group.staticMember(heartbeat.instanceId()).orElse(null);
        // The holder of the instance id is replaced, departed or live; only a live holder that is the
        // joining member itself (rejoining under its own member id) gives its membership up instead.
        boolean replacing = holder != null && (holder.departed() || holder != previous);
        int others = group.memberCount() - (previous != null ? 1 : 0) - (replacing && holder != previous ? 1 : 0);
        if (others >= settings.maxGroupSize()) {
            throw RequestValidation.invalid("group '" + group.groupId() + "' has reached its maximum size of "
                    + settings.maxGroupSize() + " members");
        }
        if (previous != null && previous != holder) {
            group.removeMember(previous);
        }
        String memberId = newMemberId(group, nowMs);
        GroupMember member;
        if (replacing) {
            member = GroupMember.replacing(memberId, heartbeat.joinProfile(), holder, nowMs);
            if (!holder.departed()) {
                LOG.infof("group '%s': member %s joined with instance id '%s' held by live member %s, which it "
                        + "replaces; %s is fenced (a restart after a crash, or two processes share the instance id)",
                        group.groupId(), memberId, heartbeat.instanceId(), holder.memberId(), holder.memberId());
            }
            group.replaceMember(holder, member, nowMs);
        } else {
            if (holder != null) {
                group.removeMember(holder);
            }
            member = GroupMember.joining(memberId, heartbeat.joinProfile(), nowMs);
            group.addMember(member);
        }
        group.computeTargetIfNeeded(topics);
        group.reconcile(member, heartbeat.owned(), nowMs);
        return response(group, member, heartbeat);
    }

    private String newMemberId(ConsumerGroup group, long nowMs) {
        String id = memberIds.get();
        while (group.member(id).isPresent() || group.fence(id, nowMs).isPresent()) {
            id = memberIds.get();
        }
        return id;
    }

    private GroupHeartbeatResponse leave(ConsumerGroup group, Heartbeat heartbeat, long nowMs, Map<String, Integer> topics) {
        GroupMember member = group.member(heartbeat.memberId())
                .orElseThrow(() -> notAMember(group, heartbeat.memberId(), nowMs));
        if (heartbeat.memberEpoch() == Heartbeat.LEAVE_STATIC) {
            if (!member.profile().isStatic()) {
                throw RequestValidation.invalid("member_epoch -2 (leave temporarily) is for static members; member "
                        + member.memberId() + " has no instance id");
            }
            group.depart(member, nowMs);
        } else {
            group.removeMember(member);
            group.computeTargetIfNeeded(topics);
        }
        return GroupHeartbeatResponse.newBuilder()
                .setMemberId(member.memberId())
                .setMemberEpoch(heartbeat.memberEpoch())
                .build();
    }

    private GroupHeartbeatResponse beat(ConsumerGroup group, Heartbeat heartbeat, long nowMs, Map<String, Integer> topics) {
        GroupMember member = group.member(heartbeat.memberId())
                .filter(m -> !m.departed())
                .orElseThrow(() -> notAMember(group, heartbeat.memberId(), nowMs));
        if (!heartbeat.instanceId().isEmpty() && !heartbeat.instanceId().equals(member.instanceId())) {
            throw RequestValidation.invalid("instance_id '" + heartbeat.instanceId() + "' is not member "
                    + member.memberId() + "'s ('" + member.instanceId() + "')");
        }
        if (heartbeat.memberEpoch() != member.memberEpoch() && !lostResponse(member, heartbeat)) {
            group.removeMember(member);
            group.computeTargetIfNeeded(topics);
            throw new GroupException(ErrorCode.FENCED_MEMBER_EPOCH, "member " + member.memberId() + " of group '"
                    + group.groupId() + "' sent epoch " + heartbeat.memberEpoch() + " but is at epoch "
                    + member.memberEpoch() + "; it must give up its partitions and rejoin with epoch 0");
        }
        member.heartbeat(nowMs);
        group.updateProfile(member, heartbeat.merge(member.profile()));
        group.computeTargetIfNeeded(topics);
        group.reconcile(member, heartbeat.owned(), nowMs);
        return response(group, member, heartbeat);
    }

    /**
     * Kafka's tolerance: the member missed the response that moved its epoch, and owns nothing
     * it should not. It is answered as if it had sent its current epoch.
     */
    private static boolean lostResponse(GroupMember member, Heartbeat heartbeat) {
        return heartbeat.memberEpoch() == member.previousMemberEpoch() && member.assigned().containsAll(heartbeat.owned());
    }

    /**
     * The refusal of a request (heartbeat, leave, commit) from {@code memberId}, which is not a
     * member (or departed): FENCED_INSTANCE_ID while another process's join under its instance id
     * is less than its session timeout ago, else UNKNOWN_MEMBER_ID.
     */
    static GroupException notAMember(ConsumerGroup group, String memberId, long nowMs) {
        return group.fence(memberId, nowMs)
                .map(fence -> new GroupException(ErrorCode.FENCED_INSTANCE_ID, "member " + memberId + " of group '"
                        + group.groupId() + "' was replaced: another process joined with its group.instance.id '"
                        + fence.instanceId() + "' (as member " + fence.replacedBy() + "); two processes share "
                        + "this instance id"))
                .orElseGet(() -> new GroupException(ErrorCode.UNKNOWN_MEMBER_ID, "member " + memberId
                        + " is not in group '" + group.groupId() + "'"));
    }

    /**
     * The member's answer. The assignment is included when it changed since the last one sent to
     * this member, on the first response of this instance to it (a join, or after a take-over),
     * and whenever the member may hold a stale one, having missed a response (a re-send is
     * harmless): it reports owning something else than it is assigned, or its epoch moves in this
     * response (or moved in one it missed). Without the last rule, a member whose revocation
     * response was lost could acknowledge, unknowingly, a revocation of a partition it had not yet
     * started to own, and later take it up from the stale assignment it still holds.
     */
    private GroupHeartbeatResponse response(ConsumerGroup group, GroupMember member, Heartbeat heartbeat) {
        Set<TopicPartition> owned = heartbeat.owned();
        boolean settled = member.settled(group.assignmentEpoch());
        GroupHeartbeatResponse.Builder response = GroupHeartbeatResponse.newBuilder()
                .setMemberId(member.memberId())
                .setMemberEpoch(member.memberEpoch())
                .setHeartbeatIntervalMs(RequestValidation.millis(settled
                        ? settings.heartbeatInterval() : settings.reconcilingHeartbeatInterval()));
        Set<TopicPartition> assigned = member.assigned();
        if (!assigned.equals(member.lastSentAssignment()) || !assigned.equals(owned)
                || heartbeat.memberEpoch() != member.memberEpoch()) {
            response.setAssignment(Assignment.newBuilder().addAllPartitions(GroupRecords.toProto(assigned)));
            member.sent(assigned);
        }
        return response.build();
    }
}
