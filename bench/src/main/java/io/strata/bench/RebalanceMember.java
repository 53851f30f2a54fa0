package io.strata.bench;

import io.strata.client.StrataException;
import io.strata.client.TopicPartition;
import io.strata.client.consumer.ConsumerRebalanceListener;
import io.strata.client.consumer.ConsumerRecord;
import io.strata.client.consumer.StrataConsumer;
import io.strata.client.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One group member of {@link RebalanceBench}: a {@link StrataConsumer} on its own platform thread,
 * which creates it, subscribes, polls until {@link #stop()}, then closes it. What the thread sees is
 * published for the bench's main thread: the partitions owned (as the listener reports them), when
 * records arrive, and the longest gap between two polls that returned records since the last
 * {@link #mark()}. A poll that throws (the membership failed for good) is counted and the member
 * subscribes again, as an application would.
 *
 * <p>Thread rule: the consumer is used only by the member's thread ({@link #stop()} calls the
 * thread-safe {@code wakeup}); every published field is volatile or concurrent.
 */
final class RebalanceMember {

    final int id;
    private final Map<String, Object> config;
    private final String topic;
    private final long pollMs;
    private final Thread thread;
    private final Set<TopicPartition> owned = ConcurrentHashMap.newKeySet();
    /** Partitions assigned and not yet delivering a record to this member → when they were assigned. */
    private final ConcurrentHashMap<TopicPartition, Long> awaitingFirst = new ConcurrentHashMap<>();
    /** Partitions assigned → when the first record after that assignment arrived. */
    private final ConcurrentHashMap<TopicPartition, Long> firstRecord = new ConcurrentHashMap<>();
    private final AtomicInteger changes = new AtomicInteger();
    private final AtomicInteger lost = new AtomicInteger();
    private final AtomicInteger pollFailures = new AtomicInteger();
    private volatile Throwable firstPollFailure;
    private final AtomicLong records = new AtomicLong();
    private final AtomicLong maxGapNanos = new AtomicLong();
    private volatile StrataConsumer<byte[], byte[]> consumer;
    private volatile long lastRecordNanos;
    private volatile long subscribeNanos;
    private volatile long firstAssignedNanos;
    private volatile long firstRecordNanos;
    private volatile long closeStartNanos;
    private volatile long closedNanos;
    private volatile boolean stopping;
    private volatile Throwable failure;

    RebalanceMember(int id, Map<String, Object> config, String topic, long pollMs) {
        this.id = id;
        this.config = config;
        this.topic = topic;
        this.pollMs = pollMs;
        this.thread = Thread.ofPlatform().name("bench-member-" + id).daemon().unstarted(this::run);
    }

    RebalanceMember start() {
        thread.start();
        return this;
    }

    private void run() {
        StrataConsumer<byte[], byte[]> c = null;
        try {
            c = new StrataConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            consumer = c;
            subscribeNanos = System.nanoTime();
            Listener listener = new Listener();
            c.subscribe(List.of(topic), listener);
            while (!stopping) {
                List<ConsumerRecord<byte[], byte[]>> polled;
                try {
                    polled = c.poll(Duration.ofMillis(pollMs));
                } catch (StrataException e) {
                    // a membership that failed for good (the client's FATAL state): what an application would do,
                    // subscribe again; counted and reported, since it should not happen
                    if (firstPollFailure == null) {
                        firstPollFailure = e;
                    }
                    pollFailures.incrementAndGet();
                    Thread.sleep(100);
                    c.subscribe(List.of(topic), listener);
                    continue;
                }
                if (!polled.isEmpty()) {
                    received(polled);
                }
            }
        } catch (Throwable t) {
            failure = t;
        } finally {
            closeStartNanos = System.nanoTime();
            if (c != null) {
                try {
                    c.close();
                } catch (RuntimeException e) {
                    if (failure == null) {
                        failure = e;
                    }
                }
            }
            closedNanos = System.nanoTime();
        }
    }

    private void received(List<ConsumerRecord<byte[], byte[]>> polled) {
        long now = System.nanoTime();
        long last = lastRecordNanos;
        if (last != 0) {
            maxGapNanos.accumulateAndGet(now - last, Math::max);
        } else {
            firstRecordNanos = now;
        }
        lastRecordNanos = now;
        records.addAndGet(polled.size());
        if (!awaitingFirst.isEmpty()) {
            for (ConsumerRecord<byte[], byte[]> r : polled) {
                TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                if (awaitingFirst.remove(tp) != null) {
                    firstRecord.put(tp, now);
                }
            }
        }
    }

    private final class Listener implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            owned.removeAll(partitions);
            partitions.forEach(tp -> {
                awaitingFirst.remove(tp);
                firstRecord.remove(tp);
            });
            changes.incrementAndGet();
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            lost.incrementAndGet();
            onPartitionsRevoked(partitions);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            if (partitions.isEmpty()) {
                return;
            }
            long now = System.nanoTime();
            for (TopicPartition tp : partitions) {
                owned.add(tp);
                firstRecord.remove(tp);
                awaitingFirst.put(tp, now);
            }
            if (firstAssignedNanos == 0) {
                firstAssignedNanos = now;
            }
            changes.incrementAndGet();
        }
    }

    /** Asks the thread to leave its poll loop and close the consumer (leaving the group). */
    void stop() {
        stopping = true;
        StrataConsumer<byte[], byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
    }

    boolean join(long millis) throws InterruptedException {
        thread.join(millis);
        return !thread.isAlive();
    }

    /** Starts a new gap window: the longest gap is measured from here. */
    void mark() {
        maxGapNanos.set(0);
    }

    /** The longest gap between records since {@link #mark()}, counting the one still open at {@code now}. */
    long maxGapNanos(long now) {
        long last = lastRecordNanos;
        return Math.max(maxGapNanos.get(), last == 0 ? 0 : now - last);
    }

    Set<TopicPartition> owned() {
        return Set.copyOf(owned);
    }

    int ownedCount() {
        return owned.size();
    }

    int changes() {
        return changes.get();
    }

    int lost() {
        return lost.get();
    }

    long records() {
        return records.get();
    }

    /** When the first record after {@code tp}'s latest assignment arrived; 0 if none yet or not owned. */
    long firstRecordNanos(TopicPartition tp) {
        return firstRecord.getOrDefault(tp, 0L);
    }

    long subscribeNanos() {
        return subscribeNanos;
    }

    long firstAssignedNanos() {
        return firstAssignedNanos;
    }

    /** The first record this member ever received; 0 before it. */
    long firstRecordNanos() {
        return firstRecordNanos;
    }

    long closeStartNanos() {
        return closeStartNanos;
    }

    long closedNanos() {
        return closedNanos;
    }

    /** What ended the member's thread, if anything did. */
    Throwable failure() {
        return failure;
    }

    /** Polls that threw (the member subscribed again after each). */
    int pollFailures() {
        return pollFailures.get();
    }

    Throwable firstPollFailure() {
        return firstPollFailure;
    }
}
