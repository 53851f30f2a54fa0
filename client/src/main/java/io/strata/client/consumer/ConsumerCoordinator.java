package io.strata.client.consumer;

import io.strata.client.StrataException;
import io.strata.client.TopicPartition;
import io.strata.client.internal.Errors;
import io.strata.proto.v1.ErrorCode;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The application-thread half of a consumer with a {@code group.id} (Kafka's name for it):
 * applies what {@link MembershipManager} publishes — revoke first (auto-commit, listener, drop the
 * fetch state, acknowledge at once), then assign (listener, then positions from the committed
 * offsets) — and makes commits and committed-offset reads through {@link OffsetCommitter}.
 * Everything here runs on the thread that calls the consumer; the listener and the commit
 * callbacks run inside {@code poll}, {@code commitSync}, {@code unsubscribe} and {@code close}.
 *
 * <p>Partitions that stay assigned are fetched throughout: a reconciliation touches only the
 * partitions it moves, and a poll with nothing to reconcile costs one volatile read.
 */
final class ConsumerCoordinator {

    private static final System.Logger LOG = System.getLogger(ConsumerCoordinator.class.getName());
    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    private static final ConsumerRebalanceListener NO_LISTENER = new ConsumerRebalanceListener() {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        }
    };

    private final ConsumerConfig config;
    private final String groupId;
    private final Fetcher fetcher;
    private final Clock clock;
    private final MembershipManager membership;
    private final HeartbeatThread heartbeat;
    private final OffsetCommitter committer;
    private final ConcurrentLinkedQueue<Runnable> completedCommits = new ConcurrentLinkedQueue<>();
    private final List<CompletableFuture<Void>> asyncCommits = new ArrayList<>();
    private ConsumerRebalanceListener listener = NO_LISTENER;
    private boolean heartbeatStarted;
    private CompletableFuture<Map<TopicPartition, OffsetAndMetadata>> committedLookup;
    private Map<TopicPartition, PartitionFetchState> committedLookupStates = Map.of();
    private long nextAutoCommitMs;

    ConsumerCoordinator(ConsumerConfig config, Fetcher fetcher, GroupTransport transport, Clock clock) {
        this.config = config;
        this.groupId = config.groupId().orElseThrow();
        this.fetcher = fetcher;
        this.clock = clock;
        this.membership = MembershipManager.of(config, fetcher::nudge);
        String suffix = groupId + "-" + (config.clientId().isEmpty() ? String.valueOf(SEQUENCE.incrementAndGet())
                : config.clientId());
        this.heartbeat = new HeartbeatThread(membership, transport, clock,
                Math.min(config.requestTimeoutMs(), config.sessionTimeoutMs()), "strata-consumer-heartbeat-" + suffix);
        this.committer = new OffsetCommitter(groupId, membership, transport, config.backoff(), config.requestTimeoutMs(),
                clock, "strata-consumer-offsets-" + suffix);
        this.nextAutoCommitMs = clock.millis() + config.autoCommitIntervalMs();
    }

    // ---- subscription ----

    void subscribe(MembershipManager.Subscription subscription, ConsumerRebalanceListener l) {
        listener = l == null ? NO_LISTENER : l;
        membership.subscribe(subscription, clock.millis());
        if (!heartbeatStarted) {
            heartbeatStarted = true;
            heartbeat.start();
        }
    }

    boolean subscribed() {
        return membership.subscription().isPresent();
    }

    /** The subscribed topic names; for a pattern, the topics of the partitions owned now. */
    Set<String> subscription() {
        Optional<MembershipManager.Subscription> s = membership.subscription();
        if (s.isEmpty()) {
            return Set.of();
        }
        if (s.get().pattern() == null) {
            return Collections.unmodifiableSet(new TreeSet<>(s.get().topics()));
        }
        Set<String> topics = new TreeSet<>();
        fetcher.assignment().forEach(tp -> topics.add(tp.topic()));
        return Collections.unmodifiableSet(topics);
    }

    /** Releases the partitions (listener), then leaves the group (epoch -1), waiting up to {@code deadlineMs}. */
    void unsubscribe(long deadlineMs) {
        RuntimeException failure = releaseAll(deadlineMs);
        leave(false, deadlineMs);
        if (failure != null) {
            throw failure;
        }
    }

    ConsumerGroupMetadata groupMetadata() {
        return subscribed() ? membership.metadata()
                : new ConsumerGroupMetadata(groupId, MembershipManager.LEAVE_EPOCH, "", config.groupInstanceId());
    }

    // ---- poll ----

    void pollStarted() {
        membership.pollStarted(clock.millis());
    }

    void pollEnded() {
        membership.pollEnded(clock.millis());
    }

    /**
     * The work of every poll iteration: commit callbacks, reconciliation, auto-commit, and
     * positions from committed offsets. Cheap when there is nothing to do.
     *
     * @throws StrataException the membership's fatal failure, a failed committed-offset read
     */
    void onPoll() {
        runCommitCallbacks();
        if (subscribed()) {
            reconcile();
            Optional<StrataException> fatal = membership.fatal();
            if (fatal.isPresent()) {
                throw fatal.get();
            }
        }
        maybeAutoCommit();
        updateCommittedPositions();
    }

    /** How long poll may wait before this needs a look (the next auto-commit). */
    long maxWaitMs(long nowMs) {
        return config.enableAutoCommit() ? Math.max(1, nextAutoCommitMs - nowMs) : Long.MAX_VALUE;
    }

    /** Applies the membership's pending change, if any; see the class comment for the order. */
    void reconcile() {
        if (!membership.hasChange()) {
            return;
        }
        MembershipManager.Change change = membership.takeChange();
        if (change == null) {
            return;
        }
        RuntimeException failure = null;
        Set<TopicPartition> owned = sorted(fetcher.assignment());
        if (change.lost()) {
            if (!owned.isEmpty()) {
                failure = invoke(() -> listener.onPartitionsLost(owned), null);
            }
            fetcher.remove(owned);
            membership.reconciled(change, Set.of(), clock.millis());
        } else {
            Set<TopicPartition> revoked = sorted(owned);
            revoked.removeAll(change.target());
            if (!revoked.isEmpty()) {
                if (config.enableAutoCommit()) {
                    commitQuietly(positions(revoked), clock.millis() + config.defaultApiTimeoutMs());
                }
                failure = invoke(() -> listener.onPartitionsRevoked(Collections.unmodifiableSet(revoked)), failure);
                fetcher.remove(revoked);
                membership.ownedNow(fetcher.assignment()); // acknowledged at once, before anything is added
            }
            Set<TopicPartition> added = sorted(change.target());
            added.removeAll(fetcher.assignment());
            if (!added.isEmpty() || change.joined()) {
                fetcher.add(added, true);
                failure = invoke(() -> listener.onPartitionsAssigned(Collections.unmodifiableSet(added)), failure);
            }
            membership.reconciled(change, fetcher.assignment(), clock.millis());
        }
        if (failure != null) {
            throw failure;
        }
    }

    private static RuntimeException invoke(Runnable callback, RuntimeException earlier) {
        try {
            callback.run();
            return earlier;
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "the rebalance listener failed", e);
            return earlier != null ? earlier : e;
        }
    }

    private static Set<TopicPartition> sorted(Collection<TopicPartition> partitions) {
        return new TreeSet<>(partitions);
    }

    /** Releases every owned partition: revoked (auto-commit first), or lost when the member is out of the group. */
    private RuntimeException releaseAll(long deadlineMs) {
        Set<TopicPartition> owned = sorted(fetcher.assignment());
        RuntimeException failure = null;
        if (!owned.isEmpty()) {
            if (membership.identity().isEmpty()) {
                failure = invoke(() -> listener.onPartitionsLost(owned), null);
            } else {
                if (config.enableAutoCommit()) {
                    commitQuietly(positions(owned), deadlineMs);
                }
                failure = invoke(() -> listener.onPartitionsRevoked(owned), null);
            }
        }
        fetcher.remove(owned);
        membership.ownedNow(Set.of());
        return failure;
    }

    private void leave(boolean temporarily, long deadlineMs) {
        membership.leave(temporarily, clock.millis());
        try {
            if (!membership.awaitLeft(clock, deadlineMs)) {
                LOG.log(System.Logger.Level.WARNING, "group " + groupId + ": the coordinator did not answer the leave in time");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- commits ----

    /** Positions of every assigned partition that has one. */
    Map<TopicPartition, OffsetAndMetadata> allPositions() {
        return positions(fetcher.assignment());
    }

    private Map<TopicPartition, OffsetAndMetadata> positions(Collection<TopicPartition> partitions) {
        Map<TopicPartition, OffsetAndMetadata> out = new LinkedHashMap<>();
        for (TopicPartition tp : partitions) {
            PartitionFetchState s = fetcher.stateOrNull(tp);
            if (s != null && s.position != null) {
                out.put(tp, new OffsetAndMetadata(s.position));
            }
        }
        return out;
    }

    private boolean groupManaged() {
        return subscribed();
    }

    /** Commits and waits; then runs the callbacks of earlier asynchronous commits. */
    void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets, long deadlineMs) {
        if (!offsets.isEmpty()) {
            await(committer.commit(offsets, groupManaged(), deadlineMs), deadlineMs);
        }
        runCommitCallbacks();
    }

    void commitAsync(Map<TopicPartition, OffsetAndMetadata> offsets, OffsetCommitCallback callback) {
        Map<TopicPartition, OffsetAndMetadata> copy = Map.copyOf(offsets);
        CompletableFuture<Void> f = committer.commit(copy, groupManaged(), clock.millis() + config.defaultApiTimeoutMs());
        asyncCommits.add(f);
        f.whenComplete((ignored, failure) -> completedCommits.add(() -> {
            Exception e = failure == null ? null : asException(failure);
            if (callback != null) {
                callback.onComplete(copy, e);
            } else if (e != null) {
                LOG.log(System.Logger.Level.WARNING, "group " + groupId + ": asynchronous commit of " + copy.keySet()
                        + " failed: " + e.getMessage());
            }
        }));
    }

    private static Exception asException(Throwable failure) {
        Throwable t = Errors.unwrap(failure);
        if (t instanceof Exception e) {
            return e;
        }
        return new StrataException(ErrorCode.ERROR_CODE_UNSPECIFIED, "commit failed: " + t, t);
    }

    private void commitQuietly(Map<TopicPartition, OffsetAndMetadata> offsets, long deadlineMs) {
        if (offsets.isEmpty()) {
            return;
        }
        try {
            commitSync(offsets, deadlineMs);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "group " + groupId + ": auto-commit of " + offsets.keySet()
                    + " failed: " + e.getMessage());
        }
    }

    private void maybeAutoCommit() {
        if (!config.enableAutoCommit()) {
            return;
        }
        long now = clock.millis();
        if (now < nextAutoCommitMs) {
            return;
        }
        nextAutoCommitMs = now + config.autoCommitIntervalMs();
        if (groupManaged() && membership.identity().isEmpty()) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> positions = allPositions();
        if (!positions.isEmpty()) {
            commitAsync(positions, null);
        }
    }

    /** Runs the callbacks of completed asynchronous commits, in commit order; rethrows the first one that failed. */
    void runCommitCallbacks() {
        asyncCommits.removeIf(CompletableFuture::isDone);
        RuntimeException failure = null;
        Runnable r;
        while ((r = completedCommits.poll()) != null) {
            try {
                r.run();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** The committed offsets ({@code null} for a partition without one). */
    Map<TopicPartition, OffsetAndMetadata> committed(Set<TopicPartition> partitions, long deadlineMs) {
        if (partitions.isEmpty()) {
            return Map.of();
        }
        return Collections.unmodifiableMap(new HashMap<>(await(committer.fetchCommitted(partitions, deadlineMs), deadlineMs)));
    }

    // ---- positions from committed offsets ----

    /**
     * Applies a finished committed-offset read (to the partitions it was made for, if still
     * assigned and not sought since) and starts one for partitions that wait for theirs.
     */
    void updateCommittedPositions() {
        if (committedLookup != null && committedLookup.isDone()) {
            CompletableFuture<Map<TopicPartition, OffsetAndMetadata>> done = committedLookup;
            Map<TopicPartition, PartitionFetchState> states = committedLookupStates;
            committedLookup = null;
            committedLookupStates = Map.of();
            Map<TopicPartition, OffsetAndMetadata> found;
            try {
                found = done.join();
            } catch (RuntimeException e) {
                throw Errors.toStrataException(e); // the partitions still wait: the next poll asks again
            }
            found.forEach((tp, committed) -> {
                PartitionFetchState s = fetcher.stateOrNull(tp);
                if (s != null && s == states.get(tp) && s.awaitingCommitted) {
                    if (committed != null) {
                        s.seek(committed.offset());
                    } else {
                        s.awaitingCommitted = false; // auto.offset.reset decides
                    }
                }
            });
        }
        if (committedLookup == null) {
            Map<TopicPartition, PartitionFetchState> byPartition = new LinkedHashMap<>();
            for (PartitionFetchState s : fetcher.states()) {
                if (s.awaitingCommitted) {
                    byPartition.put(s.tp, s);
                }
            }
            if (!byPartition.isEmpty()) {
                committedLookupStates = byPartition;
                committedLookup = committer.fetchCommitted(new ArrayList<>(byPartition.keySet()),
                        clock.millis() + config.defaultApiTimeoutMs());
                committedLookup.whenComplete((r, e) -> fetcher.nudge());
            }
        }
    }

    /** Blocks until no assigned partition waits for its committed offset, or {@code deadlineMs}. */
    void awaitCommittedPositions(long deadlineMs) {
        while (true) {
            updateCommittedPositions();
            CompletableFuture<Map<TopicPartition, OffsetAndMetadata>> lookup = committedLookup;
            if (lookup == null) {
                return;
            }
            await(lookup, deadlineMs);
        }
    }

    private <T> T await(CompletableFuture<T> future, long deadlineMs) {
        try {
            return future.get(Math.max(0, deadlineMs - clock.millis()), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw Errors.toStrataException(e);
        } catch (TimeoutException e) {
            throw new StrataException(ErrorCode.REQUEST_TIMED_OUT, "the group's offsets operation did not complete in time");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StrataException(ErrorCode.ERROR_CODE_UNSPECIFIED, "INTERRUPTED", false, null, "interrupted", e);
        }
    }

    // ---- close ----

    /**
     * Auto-commits (when enabled), releases the partitions (listener), leaves the group (-1, or
     * -2 for a static member), waits for asynchronous commits and runs their callbacks, all by
     * {@code deadlineMs}; then stops the threads. Rethrows the first failure of a listener or
     * callback after everything was done.
     */
    void close(long deadlineMs) {
        RuntimeException failure = null;
        try {
            if (subscribed() || membership.state() != MembershipManager.State.UNSUBSCRIBED) {
                failure = releaseAll(deadlineMs); // auto-commits the owned partitions first
                leave(true, deadlineMs);
            } else if (config.enableAutoCommit()) {
                commitQuietly(allPositions(), deadlineMs);
            }
            for (CompletableFuture<Void> f : asyncCommits) {
                try {
                    f.get(Math.max(0, deadlineMs - clock.millis()), TimeUnit.MILLISECONDS);
                } catch (ExecutionException e) {
                    // reported to its callback
                } catch (TimeoutException e) {
                    break;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        } catch (RuntimeException e) {
            failure = failure != null ? failure : e;
        } finally {
            heartbeat.stop(Math.max(0, deadlineMs - clock.millis()));
            committer.close(Math.max(0, deadlineMs - clock.millis()));
        }
        try {
            runCommitCallbacks();
        } catch (RuntimeException e) {
            failure = failure != null ? failure : e;
        }
        if (failure != null) {
            throw failure;
        }
    }
}
