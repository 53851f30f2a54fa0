package io.strata.client.internal;

import io.grpc.Channel;
import io.strata.client.StrataException;
import io.strata.client.TopicPartition;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.StorageGrpc;
import io.strata.proto.v1.TopicMetadata;

import java.time.Clock;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;

/**
 * Blocking calls to partition leaders that are safe to repeat (ListOffsets, Fetch), sent to
 * all partitions in parallel and retried until a deadline. Retried: every retriable reason,
 * unreachable nodes, and {@code UNKNOWN_TOPIC_OR_PARTITION} from a storage node (a new
 * partition may not be open yet), each after a metadata refresh and a backoff. A topic or
 * partition coordination does not know fails at once.
 */
public final class LeaderCalls {

    private final MetadataCache metadata;
    private final ChannelPool channels;
    private final int requestTimeoutMs;
    private final Backoff backoff;
    private final Clock clock;

    public LeaderCalls(MetadataCache metadata, ChannelPool channels, int requestTimeoutMs, Backoff backoff, Clock clock) {
        this.metadata = metadata;
        this.channels = channels;
        this.requestTimeoutMs = requestTimeoutMs;
        this.backoff = backoff;
        this.clock = clock;
    }

    /** An async Storage stub for the leader, with the request timeout as its deadline. */
    public StorageGrpc.StorageStub stub(ClusterSnapshot.Leader leader) {
        return stub(leader, requestTimeoutMs);
    }

    /** The channel to the leader, for calls without a deadline (streams). */
    public Channel channel(ClusterSnapshot.Leader leader) {
        return channels.channel(leader.address());
    }

    /** An async Storage stub for the leader with a deadline of {@code timeoutMs}. */
    public StorageGrpc.StorageStub stub(ClusterSnapshot.Leader leader, long timeoutMs) {
        return StorageGrpc.newStub(channels.channel(leader.address())).withDeadlineAfter(timeoutMs, TimeUnit.MILLISECONDS);
    }

    /**
     * Fails fast with {@code UNKNOWN_TOPIC_OR_PARTITION} unless every partition exists in
     * coordination's metadata (waiting for metadata up to {@code deadlineMs}).
     */
    public void checkExists(Collection<TopicPartition> partitions, long deadlineMs) {
        Set<String> topics = new TreeSet<>();
        partitions.forEach(tp -> topics.add(tp.topic()));
        for (String topic : topics) {
            TopicMetadata t = metadata.awaitTopic(topic, deadlineMs);
            for (TopicPartition tp : partitions) {
                if (tp.topic().equals(topic) && tp.partition() >= t.getPartitionsCount()) {
                    throw new StrataException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "partition " + tp.partition()
                            + " of topic '" + topic + "' does not exist (it has " + t.getPartitionsCount() + ")");
                }
            }
        }
    }

    /**
     * Calls {@code call(leader, partition)} for every partition in parallel and retries the
     * failed ones until {@code deadlineMs}.
     *
     * @return the answers by partition, in the order given
     * @throws StrataException the first non-retriable failure, or the last failure when time ran out
     */
    public <R> Map<TopicPartition, R> callAll(Collection<TopicPartition> partitions, long deadlineMs,
                                              BiFunction<ClusterSnapshot.Leader, TopicPartition, CompletableFuture<R>> call) {
        checkExists(partitions, deadlineMs);
        Map<TopicPartition, R> results = new LinkedHashMap<>();
        Set<TopicPartition> pending = new LinkedHashSet<>(partitions);
        Set<String> topics = new TreeSet<>();
        partitions.forEach(tp -> topics.add(tp.topic()));
        StrataException last = null;
        for (int failures = 1; ; failures++) {
            ClusterSnapshot snapshot = metadata.snapshot();
            Map<TopicPartition, CompletableFuture<R>> calls = new LinkedHashMap<>();
            for (TopicPartition tp : pending) {
                Optional<ClusterSnapshot.Leader> leader = snapshot.leader(tp);
                if (leader.isEmpty()) {
                    last = new StrataException(ErrorCode.NOT_LEADER, "partition " + tp + " has no live leader");
                } else {
                    calls.put(tp, call.apply(leader.get(), tp));
                }
            }
            for (var entry : calls.entrySet()) {
                try {
                    long left = Math.max(0, deadlineMs - clock.millis());
                    results.put(entry.getKey(), entry.getValue().get(left, TimeUnit.MILLISECONDS));
                    pending.remove(entry.getKey());
                } catch (ExecutionException e) {
                    StrataException error = Errors.toStrataException(e);
                    if (!error.retriable() && error.reason() != ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
                        calls.values().forEach(f -> f.cancel(false));
                        throw error;
                    }
                    last = error;
                } catch (TimeoutException e) {
                    calls.values().forEach(f -> f.cancel(false));
                    throw timedOut(last);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    calls.values().forEach(f -> f.cancel(false));
                    throw interrupted(e);
                }
            }
            if (pending.isEmpty()) {
                return results;
            }
            long wakeAt = Math.min(deadlineMs, clock.millis() + backoff.delayMs(failures));
            refreshQuietly(topics, deadlineMs);
            if (clock.millis() >= deadlineMs) {
                throw timedOut(last);
            }
            sleepUntil(wakeAt);
            for (String topic : topics) {
                if (metadata.snapshot().unknownTopics().contains(topic)) {
                    throw new StrataException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "topic '" + topic + "' does not exist");
                }
            }
        }
    }

    private void refreshQuietly(Set<String> topics, long deadlineMs) {
        try {
            metadata.refresh(topics).get(Math.max(0, deadlineMs - clock.millis()), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            // the next attempt reports the failure if it persists
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw interrupted(e);
        }
    }

    private static StrataException timedOut(StrataException last) {
        if (last == null) {
            return new StrataException(ErrorCode.REQUEST_TIMED_OUT, "the operation timed out");
        }
        return new StrataException(last.reason(), last.reasonName(), last.retriable(), last.statusCode().orElse(null),
                "the operation timed out; last error: " + last.getMessage(), last);
    }

    private static StrataException interrupted(InterruptedException e) {
        return new StrataException(ErrorCode.ERROR_CODE_UNSPECIFIED, "INTERRUPTED", false, null, "interrupted", e);
    }

    private void sleepUntil(long untilMs) {
        long waitMs = untilMs - clock.millis();
        if (waitMs > 0) {
            try {
                Thread.sleep(waitMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw interrupted(e);
            }
        }
    }
}
