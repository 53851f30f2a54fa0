package io.strata.client.consumer;

import io.strata.client.StrataException;
import io.strata.client.TopicPartition;
import io.strata.client.internal.Backoff;
import io.strata.proto.v1.Assignment;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.GroupHeartbeatRequest;
import io.strata.proto.v1.GroupHeartbeatResponse;
import io.strata.proto.v1.TopicPartitions;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;

/**
 * One consumer's membership in its group (the KIP-848 consumer protocol): member id and epoch,
 * the target assignment the coordinator sent versus the partitions the application owns, the
 * heartbeat, session and poll timers. A pure state machine: time comes in as arguments, requests
 * go out as values, so it is tested without threads or a network.
 *
 * <p>Two threads use it; every method is {@code synchronized}. The heartbeat thread
 * ({@link HeartbeatThread}) asks {@link #pollHeartbeat} for the next request and reports its
 * outcome ({@link #onResponse}, {@link #onFailure}). The application thread takes a
 * {@link Change} when {@link #hasChange()} says there is one, moves partitions (listener, fetch
 * state), and reports what it owns now ({@link #ownedNow}, {@link #reconciled}): every change of
 * the owned set is acknowledged by a heartbeat sent at once.
 *
 * <p>States: {@code UNSUBSCRIBED} → (subscribe) {@code JOINING} (epoch 0, empty member id) →
 * (first answer) {@code STABLE}. {@code FENCED_MEMBER_EPOCH}/{@code UNKNOWN_MEMBER_ID}, a session
 * timeout without a successful heartbeat, or a poll timeout make the partitions lost:
 * {@code FENCED} until the application released them, then {@code JOINING} again.
 * {@code LEAVING} sends epoch -1 (-2 for a static member) and ends in {@code UNSUBSCRIBED}.
 * A non-retriable failure ({@code INVALID_REQUEST}...) is {@code FATAL}: the partitions are lost,
 * and the application's next poll throws it, until it subscribes again. So is
 * {@code FENCED_INSTANCE_ID} (on a heartbeat, a leave or a commit, see {@link #instanceFenced}):
 * another process joined with this member's {@code group.instance.id} and took its place; the
 * member never rejoins on its own, or the two processes would take the place from each other in turn.
 * {@code NOT_COORDINATOR} and other retriable failures are retried (at once for the first
 * {@code NOT_COORDINATOR}: the transport already follows the named instance; with backoff
 * otherwise) while the member keeps its partitions.
 */
final class MembershipManager {

    private static final System.Logger LOG = System.getLogger(MembershipManager.class.getName());

    static final int JOIN_EPOCH = 0;
    static final int LEAVE_EPOCH = -1;
    static final int LEAVE_STATIC_EPOCH = -2;
    /** Heartbeat interval used until the coordinator names one. */
    static final int DEFAULT_HEARTBEAT_INTERVAL_MS = 3_000;

    enum State { UNSUBSCRIBED, JOINING, STABLE, FENCED, LEAVING, FATAL }

    /**
     * What the member subscribes to: topic names or a Java regular expression.
     *
     * @param topics  the topic names, empty for a pattern subscription
     * @param pattern the pattern, or {@code null}
     */
    record Subscription(Set<String> topics, Pattern pattern) {
        Subscription {
            topics = Set.copyOf(topics);
        }

        static Subscription of(Collection<String> topics) {
            return new Subscription(new TreeSet<>(topics), null);
        }

        static Subscription of(Pattern pattern) {
            return new Subscription(Set.of(), Objects.requireNonNull(pattern, "pattern"));
        }
    }

    /**
     * Work for the application thread.
     *
     * @param version the change's version, given back to {@link #reconciled}
     * @param lost    the owned partitions are lost: release them without committing
     * @param target  the partitions to own (empty when lost)
     * @param joined  first change since (re)joining: the listener hears of it even when nothing is added
     */
    record Change(long version, boolean lost, Set<TopicPartition> target, boolean joined) {
    }

    /**
     * The member's identity for a commit.
     *
     * @param memberId the member id
     * @param epoch    the member epoch
     */
    record Identity(String memberId, int epoch) {
    }

    private final String groupId;
    private final Optional<String> instanceId;
    private final String clientId;
    private final String rack;
    private final int rebalanceTimeoutMs;
    private final int sessionTimeoutMs;
    private final String assignor;
    private final Backoff backoff;
    private final Runnable onChange;

    private State state = State.UNSUBSCRIBED;
    private Subscription subscription;
    private String memberId = "";
    private int memberEpoch;
    private int heartbeatIntervalMs = DEFAULT_HEARTBEAT_INTERVAL_MS;
    private boolean inFlight;
    private boolean sendNow;
    private long lastSentMs;
    private long lastSuccessMs;
    private int failures;
    private long retryAtMs;
    private long responses;

    private Set<TopicPartition> target = Set.of();
    private Set<TopicPartition> owned = Set.of();
    private long version;
    private volatile boolean pending;
    private boolean lost;
    private boolean joined;

    private int leaveEpoch;
    private long leaveStartedMs;
    private boolean rejoinAfterLeave;
    private boolean polling;
    private long lastPollMs;
    private StrataException fatal;

    /**
     * @param onChange called (on the heartbeat thread, briefly) when the application has work:
     *                 a new assignment, lost partitions, a fatal failure
     */
    MembershipManager(String groupId, Optional<String> instanceId, String clientId, String rack, int rebalanceTimeoutMs,
                      int sessionTimeoutMs, String assignor, Backoff backoff, Runnable onChange) {
        this.groupId = groupId;
        this.instanceId = instanceId;
        this.clientId = clientId;
        this.rack = rack;
        this.rebalanceTimeoutMs = rebalanceTimeoutMs;
        this.sessionTimeoutMs = sessionTimeoutMs;
        this.assignor = assignor;
        this.backoff = backoff;
        this.onChange = onChange;
    }

    static MembershipManager of(ConsumerConfig config, Runnable onChange) {
        return new MembershipManager(config.groupId().orElseThrow(), config.groupInstanceId(), config.clientId(),
                config.clientRack(), config.maxPollIntervalMs(), config.sessionTimeoutMs(), config.groupRemoteAssignor(),
                config.backoff(), onChange);
    }

    // ---- application thread ----

    /** Subscribes (joining when not a member) or changes the subscription (sent at once). */
    synchronized void subscribe(Subscription s, long nowMs) {
        subscription = Objects.requireNonNull(s);
        switch (state) {
            case UNSUBSCRIBED, FATAL -> {
                fatal = null;
                startJoining(nowMs);
            }
            case LEAVING -> rejoinAfterLeave = true;
            default -> { }
        }
        sendNow = true;
        notifyAll();
    }

    private void startJoining(long nowMs) {
        state = State.JOINING;
        memberId = "";
        memberEpoch = JOIN_EPOCH;
        heartbeatIntervalMs = DEFAULT_HEARTBEAT_INTERVAL_MS;
        failures = 0;
        retryAtMs = 0;
        lastSuccessMs = nowMs;
        lastPollMs = nowMs;
        sendNow = true;
    }

    synchronized Optional<Subscription> subscription() {
        return Optional.ofNullable(subscription);
    }

    synchronized State state() {
        return state;
    }

    /** Whether {@link #takeChange()} has something; a volatile read, for poll's fast path. */
    boolean hasChange() {
        return pending;
    }

    /** The work for the application, or {@code null}; it stays pending until {@link #reconciled}. */
    synchronized Change takeChange() {
        if (!pending) {
            return null;
        }
        return new Change(version, lost, lost ? Set.of() : target, joined);
    }

    /** The application owns exactly these partitions now: acknowledged by a heartbeat sent at once. */
    synchronized void ownedNow(Set<TopicPartition> partitions) {
        if (!partitions.equals(owned)) {
            owned = Set.copyOf(partitions);
            sendNow = true;
            notifyAll();
        }
    }

    /** The application applied {@code change} and owns {@code partitions} now. */
    synchronized void reconciled(Change change, Set<TopicPartition> partitions, long nowMs) {
        ownedNow(partitions);
        if (change.lost()) {
            lost = false;
            if (state == State.FENCED) {
                startJoining(nowMs);
                notifyAll();
            }
            // an assignment that came after the loss (a quick rejoin) is still to be applied
            pending = change.version() != version || joined || !target.isEmpty();
            return;
        }
        if (change.version() == version) {
            pending = false;
            joined = false;
        }
    }

    /** The failure that stopped the membership, if any (thrown by poll until the next subscribe). */
    synchronized Optional<StrataException> fatal() {
        return Optional.ofNullable(fatal);
    }

    synchronized void pollStarted(long nowMs) {
        polling = true;
        lastPollMs = nowMs;
    }

    synchronized void pollEnded(long nowMs) {
        polling = false;
        lastPollMs = nowMs;
        // The poll timer runs again, due max.poll.interval.ms from now. A member's heartbeat thread
        // wakes for its next heartbeat anyway, which is sooner unless max.poll.interval.ms is shorter
        // than the heartbeat interval: only then wake it — not on every poll (a hot path).
        if (rebalanceTimeoutMs < heartbeatIntervalMs) {
            notifyAll();
        }
    }

    /**
     * Leaves the group: epoch -1, or -2 for a static member ({@code temporarily}: it keeps its
     * partitions on the coordinator until its session timeout). The application has released
     * its partitions already. {@link #awaitLeft} waits for the answer.
     */
    synchronized void leave(boolean temporarily, long nowMs) {
        subscription = null;
        rejoinAfterLeave = false;
        pending = false; // the application released everything already
        lost = false;
        joined = false;
        if (state == State.UNSUBSCRIBED) {
            return;
        }
        if (state == State.LEAVING) {
            return;
        }
        beginLeave(temporarily && instanceId.isPresent() ? LEAVE_STATIC_EPOCH : LEAVE_EPOCH, nowMs);
        if (memberId.isEmpty() && !inFlight) {
            finishLeave(); // not a member (joining, fenced, failed): nothing to leave
        }
        notifyAll();
    }

    private void beginLeave(int epoch, long nowMs) {
        state = State.LEAVING;
        leaveEpoch = epoch;
        leaveStartedMs = nowMs;
        retryAtMs = 0;
        failures = 0;
    }

    /** Waits until a leave is answered (or given up), or {@code deadlineMs} on {@code clock} passes. */
    synchronized boolean awaitLeft(Clock clock, long deadlineMs) throws InterruptedException {
        while (state == State.LEAVING) {
            long left = deadlineMs - clock.millis();
            if (left <= 0) {
                return false;
            }
            wait(left);
        }
        return true;
    }

    /** The identity to commit with; empty unless the member is in the group with its partitions. */
    synchronized Optional<Identity> identity() {
        return state == State.STABLE && memberEpoch > 0 ? Optional.of(new Identity(memberId, memberEpoch)) : Optional.empty();
    }

    /** For {@link StrataConsumer#groupMetadata()}. */
    synchronized ConsumerGroupMetadata metadata() {
        return new ConsumerGroupMetadata(groupId, memberEpoch, memberId, instanceId);
    }

    /** Answers received so far (successful heartbeats). */
    synchronized long responses() {
        return responses;
    }

    /** Sends a heartbeat at once (a commit found its epoch stale). */
    synchronized void requestHeartbeat() {
        sendNow = true;
        notifyAll();
    }

    /**
     * Waits until more than {@code seen} heartbeats were answered, the member left the group, or
     * {@code deadlineMs} passes.
     */
    synchronized void awaitResponseAfter(long seen, Clock clock, long deadlineMs) throws InterruptedException {
        while (responses <= seen && (state == State.STABLE || state == State.JOINING)) {
            long left = deadlineMs - clock.millis();
            if (left <= 0) {
                return;
            }
            wait(left);
        }
    }

    // ---- heartbeat thread ----

    /**
     * The heartbeat to send now, or {@code null} when none is due (see {@link #delayMs}). The
     * caller must report its outcome before asking again.
     */
    synchronized GroupHeartbeatRequest pollHeartbeat(long nowMs) {
        if (inFlight) {
            return null;
        }
        checkTimers(nowMs);
        switch (state) {
            case LEAVING -> {
                if (memberId.isEmpty()) {
                    finishLeave(); // never joined: nothing to leave
                    return null;
                }
                if (nowMs < retryAtMs) {
                    return null;
                }
                return send(GroupHeartbeatRequest.newBuilder().setGroupId(groupId).setMemberId(memberId)
                        .setMemberEpoch(leaveEpoch).setInstanceId(instanceId.orElse("")).setClientId(clientId)
                        .build(), nowMs);
            }
            case JOINING, STABLE -> {
                if (nowMs < retryAtMs) {
                    return null;
                }
                boolean due = sendNow || state == State.JOINING || nowMs - lastSentMs >= heartbeatIntervalMs;
                return due ? send(heartbeat(), nowMs) : null;
            }
            default -> {
                return null;
            }
        }
    }

    private GroupHeartbeatRequest send(GroupHeartbeatRequest request, long nowMs) {
        inFlight = true;
        sendNow = false;
        lastSentMs = nowMs;
        return request;
    }

    private GroupHeartbeatRequest heartbeat() {
        GroupHeartbeatRequest.Builder b = GroupHeartbeatRequest.newBuilder()
                .setGroupId(groupId)
                .setMemberId(memberId)
                .setMemberEpoch(memberEpoch)
                .setInstanceId(instanceId.orElse(""))
                .setRack(rack)
                .setRebalanceTimeoutMs(rebalanceTimeoutMs)
                .setSessionTimeoutMs(sessionTimeoutMs)
                .setServerAssignor(assignor)
                .setClientId(clientId)
                .addAllOwnedPartitions(toWire(state == State.JOINING ? Set.of() : owned));
        if (subscription.pattern() != null) {
            b.setSubscribedTopicRegex(subscription.pattern().pattern());
        } else {
            b.addAllSubscribedTopicNames(subscription.topics());
        }
        return b.build();
    }

    /** How long until {@link #pollHeartbeat} may have something (a timer or a due heartbeat). */
    synchronized long delayMs(long nowMs) {
        if (inFlight) {
            return Long.MAX_VALUE;
        }
        long next = Long.MAX_VALUE;
        switch (state) {
            case JOINING, STABLE -> {
                long due = sendNow || state == State.JOINING ? nowMs : lastSentMs + heartbeatIntervalMs;
                next = Math.max(due, retryAtMs);
                if (memberEpoch > 0 && failures > 0) {
                    next = Math.min(next, lastSuccessMs + sessionTimeoutMs);
                }
                if (memberEpoch > 0 && !polling) {
                    next = Math.min(next, lastPollMs + rebalanceTimeoutMs + 1);
                }
            }
            case LEAVING -> next = Math.min(Math.max(nowMs, retryAtMs), leaveStartedMs + sessionTimeoutMs);
            default -> { }
        }
        return next == Long.MAX_VALUE ? Long.MAX_VALUE : Math.max(0, next - nowMs);
    }

    private void checkTimers(long nowMs) {
        boolean member = (state == State.STABLE || state == State.JOINING) && memberEpoch > 0;
        if (member && failures > 0 && nowMs - lastSuccessMs >= sessionTimeoutMs) {
            LOG.log(System.Logger.Level.WARNING, "group " + groupId + ": no heartbeat reached the coordinator within "
                    + "session.timeout.ms (" + sessionTimeoutMs + " ms); the partitions are lost, rejoining");
            lose(nowMs);
            return;
        }
        if (member && !polling && nowMs - lastPollMs > rebalanceTimeoutMs) {
            LOG.log(System.Logger.Level.WARNING, "group " + groupId + ": poll was not called within max.poll.interval.ms ("
                    + rebalanceTimeoutMs + " ms); leaving the group, the next poll rejoins");
            beginLeave(instanceId.isPresent() ? LEAVE_STATIC_EPOCH : LEAVE_EPOCH, nowMs);
            rejoinAfterLeave = true;
            markLost();
            return;
        }
        if (state == State.LEAVING && nowMs - leaveStartedMs >= sessionTimeoutMs) {
            finishLeave(); // the coordinator has expelled us by now anyway
        }
    }

    /** Handles the answer to the request {@link #pollHeartbeat} returned last. */
    synchronized void onResponse(GroupHeartbeatRequest request, GroupHeartbeatResponse response, long nowMs) {
        inFlight = false;
        failures = 0;
        retryAtMs = 0;
        lastSuccessMs = nowMs;
        responses++;
        try {
            if (request.getMemberEpoch() < 0) {
                if (state == State.LEAVING) {
                    finishLeave();
                }
                return;
            }
            if (state != State.JOINING && state != State.STABLE && state != State.LEAVING) {
                return; // fenced, failed or left while the request was in flight
            }
            if (!response.getMemberId().isEmpty()) {
                memberId = response.getMemberId();
            }
            memberEpoch = response.getMemberEpoch();
            if (response.getHeartbeatIntervalMs() > 0) {
                heartbeatIntervalMs = response.getHeartbeatIntervalMs();
            }
            if (state == State.LEAVING) {
                return; // the leave goes next, with this member id
            }
            boolean justJoined = state == State.JOINING;
            if (justJoined) {
                state = State.STABLE;
                joined = true;
                target = Set.of();
            }
            if (response.hasAssignment()) {
                target = fromWire(response.getAssignment());
            }
            if (justJoined || response.hasAssignment()) {
                publish();
            }
        } finally {
            notifyAll();
        }
    }

    /** Handles the failure of the request {@link #pollHeartbeat} returned last. */
    synchronized void onFailure(GroupHeartbeatRequest request, StrataException failure, long nowMs) {
        inFlight = false;
        try {
            if (request.getMemberEpoch() < 0) {
                if (failure.reason() == ErrorCode.FENCED_INSTANCE_ID) {
                    fenceInstance(failure);
                    finishLeave();
                } else if (failure.retriable()) {
                    failures++;
                    retryAtMs = nowMs + backoff.delayMs(failures);
                } else {
                    finishLeave();
                }
                return;
            }
            if (state != State.JOINING && state != State.STABLE) {
                return;
            }
            ErrorCode reason = failure.reason();
            if (reason == ErrorCode.FENCED_INSTANCE_ID) {
                fenceInstance(failure);
            } else if (reason == ErrorCode.FENCED_MEMBER_EPOCH || reason == ErrorCode.UNKNOWN_MEMBER_ID) {
                LOG.log(System.Logger.Level.INFO, "group " + groupId + ": member " + memberId + " was fenced ("
                        + failure.reasonName() + "); its partitions are lost, rejoining");
                lose(nowMs);
            } else if (failure.retriable()) {
                failures++;
                boolean followRedirect = reason == ErrorCode.NOT_COORDINATOR && failures == 1;
                retryAtMs = followRedirect ? nowMs : nowMs + backoff.delayMs(failures);
                sendNow = true; // the failed heartbeat is repeated at retryAtMs, not an interval later
            } else {
                LOG.log(System.Logger.Level.ERROR, "group " + groupId + ": heartbeat failed for good: " + failure.getMessage());
                fatal = failure;
                state = State.FATAL;
                markLost();
            }
        } finally {
            notifyAll();
        }
    }

    /**
     * A commit was refused with {@code FENCED_INSTANCE_ID}: another process took this member's
     * place. The membership fails for good, as when a heartbeat is refused so.
     *
     * @return the failure the application sees (poll throws it from now on)
     */
    synchronized StrataException instanceFenced(StrataException failure) {
        return fenceInstance(failure);
    }

    /**
     * {@code FENCED_INSTANCE_ID}: the partitions are lost, the member id is forgotten (no leave is
     * sent for it), and the state is {@code FATAL}; a leave under way ends without rejoining.
     */
    private StrataException fenceInstance(StrataException failure) {
        if (fatal != null && fatal.reason() == ErrorCode.FENCED_INSTANCE_ID) {
            return fatal;
        }
        StrataException fenced = new StrataException(ErrorCode.FENCED_INSTANCE_ID, "group " + groupId
                + ": another process uses group.instance.id '" + instanceId.orElse("") + "' and took the place of "
                + "this consumer (member " + memberId + "); its partitions are lost and it does not rejoin. Give "
                + "every consumer process its own group.instance.id (" + failure.getMessage() + ")", failure);
        LOG.log(System.Logger.Level.ERROR, fenced.getMessage());
        fatal = fenced;
        rejoinAfterLeave = false;
        memberId = "";
        memberEpoch = JOIN_EPOCH;
        switch (state) {
            case JOINING, STABLE, FENCED -> {
                state = State.FATAL;
                markLost();
            }
            default -> { } // LEAVING ends in FATAL (still subscribed) or UNSUBSCRIBED (closing); see finishLeave
        }
        notifyAll();
        return fenced;
    }

    /** The partitions are gone (fenced or expired): the application releases them, then we rejoin. */
    private void lose(long nowMs) {
        state = State.FENCED;
        memberId = "";
        memberEpoch = JOIN_EPOCH;
        failures = 0;
        retryAtMs = 0;
        lastSuccessMs = nowMs;
        markLost();
        notifyAll(); // awaitResponseAfter: the member is out
    }

    private void markLost() {
        lost = true;
        joined = false;
        target = Set.of();
        publish();
    }

    private void finishLeave() {
        memberId = "";
        memberEpoch = JOIN_EPOCH;
        target = Set.of();
        failures = 0;
        retryAtMs = 0;
        if (fatal != null && subscription != null) {
            state = State.FATAL; // a poll-timeout leave refused with FENCED_INSTANCE_ID: poll throws, no rejoin
        } else if (rejoinAfterLeave && subscription != null) {
            rejoinAfterLeave = false;
            if (lost) {
                state = State.FENCED; // rejoins once the application released the partitions
            } else {
                startJoining(lastPollMs);
            }
        } else {
            state = State.UNSUBSCRIBED;
        }
        notifyAll(); // awaitLeft
    }

    private void publish() {
        version++;
        pending = true;
        onChange.run();
    }

    /**
     * For {@link HeartbeatThread}: the next heartbeat, waiting for one to become due; {@code null}
     * once {@code stopped} says so (checked whenever woken).
     */
    synchronized GroupHeartbeatRequest awaitHeartbeat(Clock clock, BooleanSupplier stopped) throws InterruptedException {
        while (!stopped.getAsBoolean()) {
            long now = clock.millis();
            GroupHeartbeatRequest request = pollHeartbeat(now);
            if (request != null) {
                return request;
            }
            long delay = delayMs(now);
            wait(delay == Long.MAX_VALUE ? 0 : Math.max(1, delay));
        }
        return null;
    }

    /** Wakes {@link #awaitHeartbeat} (to notice {@code stopped}). */
    synchronized void wakeUp() {
        notifyAll();
    }

    static List<TopicPartitions> toWire(Set<TopicPartition> partitions) {
        Map<String, TreeSet<Integer>> byTopic = new TreeMap<>();
        partitions.forEach(tp -> byTopic.computeIfAbsent(tp.topic(), t -> new TreeSet<>()).add(tp.partition()));
        List<TopicPartitions> out = new ArrayList<>();
        byTopic.forEach((topic, ps) -> out.add(TopicPartitions.newBuilder().setTopic(topic).addAllPartitions(ps).build()));
        return out;
    }

    static Set<TopicPartition> fromWire(Assignment assignment) {
        return fromWire(assignment.getPartitionsList());
    }

    static Set<TopicPartition> fromWire(List<TopicPartitions> partitions) {
        Set<TopicPartition> out = new TreeSet<>();
        for (TopicPartitions t : partitions) {
            for (int p : t.getPartitionsList()) {
                out.add(new TopicPartition(t.getTopic(), p));
            }
        }
        return Collections.unmodifiableSet(out);
    }
}
