package io.strata.client.internal;

import io.strata.client.StrataException;
import io.strata.proto.v1.ClusterMetadata;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.MetadataRequest;
import io.strata.proto.v1.TopicMetadata;

import java.time.Clock;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The client's routing metadata, read from coordination's {@code GetMetadata}. Thread-safe:
 * readers take the current {@link ClusterSnapshot}; refreshes run asynchronously, are coalesced
 * while one is in flight, and try the bootstrap addresses in turn when one is unreachable.
 *
 * <p>Only the topics the client has asked about are fetched (the "interest" set).
 */
public final class MetadataCache {

    private final CoordinationCalls coordination;
    private final Backoff backoff;
    private final Clock clock;
    private final Set<String> interest = ConcurrentHashMap.newKeySet();
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private final Object lock = new Object();
    private volatile ClusterSnapshot snapshot = ClusterSnapshot.EMPTY;
    // guarded by lock
    private CompletableFuture<ClusterSnapshot> inFlight;
    private Set<String> inFlightTopics = Set.of();

    public MetadataCache(List<Address> bootstrap, ChannelPool channels, long requestTimeoutMs, Backoff backoff,
                         Clock clock) {
        this.coordination = new CoordinationCalls(bootstrap, channels, requestTimeoutMs);
        this.backoff = backoff;
        this.clock = clock;
    }

    /** The current snapshot (never null). */
    public ClusterSnapshot snapshot() {
        return snapshot;
    }

    /** Runs {@code listener} after every successful refresh (on a gRPC thread). */
    public void addListener(Runnable listener) {
        listeners.add(listener);
    }

    /** Whether any topic has been asked about. */
    public boolean hasInterest() {
        return !interest.isEmpty();
    }

    /**
     * Refreshes the metadata of every topic asked about so far plus {@code topics}. Joins a
     * refresh in flight when that one covers them. The future fails with a
     * {@link StrataException} when no bootstrap address answered.
     */
    public CompletableFuture<ClusterSnapshot> refresh(Collection<String> topics) {
        interest.addAll(topics);
        synchronized (lock) {
            if (inFlight != null && !inFlight.isDone() && inFlightTopics.containsAll(interest)) {
                return inFlight;
            }
            Set<String> wanted = Set.copyOf(interest);
            CompletableFuture<ClusterSnapshot> result = new CompletableFuture<>();
            inFlight = result;
            inFlightTopics = wanted;
            fetch(wanted, result);
            return result;
        }
    }

    private void fetch(Set<String> wanted, CompletableFuture<ClusterSnapshot> result) {
        MetadataRequest request = MetadataRequest.newBuilder().addAllTopics(wanted).build();
        coordination.<MetadataRequest, ClusterMetadata>call(request, stub -> stub::getMetadata).whenComplete((answer, failure) -> {
            if (failure != null) {
                result.completeExceptionally(Errors.toStrataException(failure));
                return;
            }
            ClusterSnapshot updated;
            synchronized (lock) {
                updated = snapshot.merge(answer, wanted, clock.millis());
                snapshot = updated;
            }
            result.complete(updated);
            listeners.forEach(Runnable::run);
        });
    }

    /**
     * The metadata of {@code topic} if it is known now, else null; either way the topic is kept
     * fresh from now on. Never blocks.
     */
    public TopicMetadata knownTopic(String topic) {
        TopicMetadata known = snapshot.topics().get(topic);
        if (known != null && !interest.contains(topic)) { // a read: send() comes here for every record
            interest.add(topic);
        }
        return known;
    }

    /**
     * Blocks until the metadata of {@code topic} is known, refreshing and retrying retriable
     * failures with backoff until {@code deadlineMs} (client clock).
     *
     * @throws StrataException {@link ErrorCode#UNKNOWN_TOPIC_OR_PARTITION} at once when
     *                         coordination says the topic does not exist; the last failure (or
     *                         {@link ErrorCode#REQUEST_TIMED_OUT}) when the deadline passes
     */
    public TopicMetadata awaitTopic(String topic, long deadlineMs) {
        TopicMetadata known = knownTopic(topic);
        if (known != null) {
            return known;
        }
        StrataException last = null;
        for (int failures = 0; ; ) {
            long left = deadlineMs - clock.millis();
            if (left <= 0) {
                throw timedOut(topic, deadlineMs, last);
            }
            try {
                ClusterSnapshot s = refresh(Set.of(topic)).get(left, TimeUnit.MILLISECONDS);
                TopicMetadata t = s.topics().get(topic);
                if (t != null && t.getPartitionsCount() > 0) {
                    return t;
                }
                if (s.unknownTopics().contains(topic)) {
                    interest.remove(topic);
                    throw new StrataException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                            "topic '" + topic + "' does not exist");
                }
                last = new StrataException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                        "no metadata for topic '" + topic + "' yet");
            } catch (ExecutionException e) {
                last = Errors.toStrataException(e);
                if (!last.retriable()) {
                    throw last;
                }
            } catch (TimeoutException e) {
                throw timedOut(topic, deadlineMs, last);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StrataException(ErrorCode.ERROR_CODE_UNSPECIFIED, "INTERRUPTED", false, null,
                        "interrupted while waiting for metadata of topic '" + topic + "'", e);
            }
            failures++;
            sleepUntil(Math.min(deadlineMs, clock.millis() + backoff.delayMs(failures)));
        }
    }

    private StrataException timedOut(String topic, long deadlineMs, StrataException last) {
        String msg = "no metadata for topic '" + topic + "' within the time allowed";
        if (last != null) {
            return new StrataException(last.reason(), last.reasonName(), last.retriable(),
                    last.statusCode().orElse(null), msg + ": " + last.getMessage(), last);
        }
        return new StrataException(ErrorCode.REQUEST_TIMED_OUT, msg);
    }

    private void sleepUntil(long untilMs) {
        long waitMs = untilMs - clock.millis();
        if (waitMs <= 0) {
            return;
        }
        try {
            Thread.sleep(waitMs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StrataException(ErrorCode.ERROR_CODE_UNSPECIFIED, "INTERRUPTED", false, null,
                    "interrupted while waiting for metadata", e);
        }
    }
}
