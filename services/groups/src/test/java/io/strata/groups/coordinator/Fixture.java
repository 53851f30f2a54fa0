package io.strata.groups.coordinator;

import io.strata.groups.assignor.TopicPartition;
import io.strata.proto.v1.GroupDescription;
import io.strata.proto.v1.GroupRecord;
import io.strata.proto.v1.MemberDescription;
import io.strata.proto.v1.MemberRecord;
import io.strata.proto.v1.OffsetCommit;
import io.strata.proto.v1.PartitionLag;
import io.strata.runtime.testing.MutableClock;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/** A coordinator over a hand-moved clock, a recording persistence and fake partition offsets. */
final class Fixture {

    static final String GROUP = "orders-app";

    final MutableClock clock = new MutableClock(1_000_000);
    final RecordingPersistence persistence = new RecordingPersistence();
    final FakePartitionOffsets offsets = new FakePartitionOffsets();
    final GroupSettings settings;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<String, Integer> topics = new HashMap<>();
    GroupCoordinator coordinator;

    Fixture() {
        this(GroupSettings.defaults());
    }

    Fixture(GroupSettings settings) {
        this.settings = settings;
        this.coordinator = newCoordinator();
    }

    private GroupCoordinator newCoordinator() {
        return new GroupCoordinator(settings, clock, persistence, offsets, () -> "member-" + ids.incrementAndGet());
    }

    /** Sets a topic's partition count (0 deletes it) and tells the coordinator. */
    Fixture topic(String name, int partitions) {
        if (partitions == 0) {
            topics.remove(name);
        } else {
            topics.put(name, partitions);
        }
        coordinator.topicsChanged(Map.copyOf(topics));
        return this;
    }

    Map<String, Integer> topics() {
        return Map.copyOf(topics);
    }

    Client client(String... topicNames) {
        return new Client(this, GROUP, List.of(topicNames));
    }

    void advance(Duration duration) {
        clock.advance(duration);
    }

    void tick() {
        coordinator.tick();
    }

    GroupDescription describe() {
        return await(coordinator.describe(GROUP));
    }

    int groupEpoch() {
        return describe().getGroupEpoch();
    }

    /** A standby takes over: a new coordinator loads the last record stored (a failed write never was) and offsets. */
    void failOver() {
        GroupRecord record = persistence.puts(GROUP).stream()
                .filter(p -> p.future().isDone() && !p.future().isCompletedExceptionally())
                .map(RecordingPersistence.Put::record)
                .reduce((first, second) -> second).orElse(null);
        List<OffsetCommit> offsets = coordinator.fetchOffsets(GROUP, List.of());
        coordinator = newCoordinator();
        coordinator.topicsChanged(Map.copyOf(topics));
        coordinator.load(GROUP, record, offsets);
    }

    /**
     * The ownership invariant, checked from outside: members' assignments (describe) are disjoint;
     * the owner index (describe's per-partition member) names exactly the member whose assigned or
     * pending revocation holds the partition in the newest record; records never hold a partition twice.
     */
    void checkInvariants(String groupId) {
        GroupDescription description;
        try {
            description = await(coordinator.describe(groupId));
        } catch (AssertionError e) {
            return; // the group does not exist
        }
        Map<TopicPartition, String> assignedTo = new HashMap<>();
        for (MemberDescription member : description.getMembersList()) {
            for (TopicPartition partition : GroupRecords.fromProto(member.getAssignment().getPartitionsList())) {
                String other = assignedTo.put(partition, member.getMemberId());
                assertThat(other).as("%s assigned to two members", partition).isNull();
            }
        }
        List<RecordingPersistence.Put> puts = persistence.puts(groupId);
        RecordingPersistence.Put last = puts.isEmpty() ? null : puts.getLast();
        // The newest record is the group's state when it was stored and nothing was written since.
        boolean current = last != null && last.future().isDone() && !last.future().isCompletedExceptionally()
                && persistence.pendingPuts().isEmpty();
        GroupRecord record = last == null ? null : last.record();
        Map<TopicPartition, String> held = record == null ? Map.of() : held(record);
        Set<String> members = new HashSet<>();
        description.getMembersList().forEach(m -> members.add(m.getMemberId()));
        for (PartitionLag row : description.getPartitionsList()) {
            TopicPartition partition = new TopicPartition(row.getTopic(), row.getPartition());
            if (!row.getMember().isEmpty()) {
                assertThat(members).as("owner of %s", partition).contains(row.getMember());
            }
            if (assignedTo.containsKey(partition)) {
                assertThat(row.getMember()).as("owner of %s", partition).isEqualTo(assignedTo.get(partition));
            }
            if (current) {
                assertThat(row.getMember()).as("owner of %s against the record %s, described as %s", partition,
                                record, description)
                        .isEqualTo(held.getOrDefault(partition, ""));
            }
        }
    }

    /** partition → member holding it (assigned or pending revocation); fails on a partition held twice. */
    static Map<TopicPartition, String> held(GroupRecord record) {
        Map<TopicPartition, String> held = new HashMap<>();
        for (MemberRecord member : record.getMembersList()) {
            Set<TopicPartition> mine = GroupRecords.fromProto(member.getAssignedList());
            Set<TopicPartition> pending = GroupRecords.fromProto(member.getPendingRevocationList());
            for (TopicPartition partition : pending) {
                assertThat(mine).as("assigned and pending revocation of %s overlap", member.getMemberId())
                        .doesNotContain(partition);
            }
            mine.addAll(pending);
            for (TopicPartition partition : mine) {
                String other = held.put(partition, member.getMemberId());
                if (other != null) {
                    fail("record of group '%s' epoch %d: %s held by %s and %s", record.getGroupId(),
                            record.getGroupEpoch(), partition, other, member.getMemberId());
                }
            }
        }
        return held;
    }

    static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get(5, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError(e);
        }
    }

    /** The GroupException a future failed with. */
    static GroupException error(CompletableFuture<?> future) {
        try {
            future.get(5, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(GroupException.class);
            return (GroupException) e.getCause();
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("expected a failure");
    }

    static Set<TopicPartition> partitions(String topic, int... numbers) {
        Set<TopicPartition> set = new HashSet<>();
        for (int n : numbers) {
            set.add(new TopicPartition(topic, n));
        }
        return set;
    }

    static Set<TopicPartition> range(String topic, int count) {
        Set<TopicPartition> set = new HashSet<>();
        for (int n = 0; n < count; n++) {
            set.add(new TopicPartition(topic, n));
        }
        return set;
    }

    /** Heartbeats every client (each adopting its assignment at once) until all are stable; returns the rounds taken. */
    int settle(List<Client> clients) {
        for (int round = 1; round <= 50; round++) {
            boolean stable = true;
            for (Client client : new ArrayList<>(clients)) {
                client.poll();
                stable &= client.stable();
            }
            checkInvariants(GROUP);
            if (stable) {
                return round;
            }
        }
        throw new AssertionError("not stable after 50 rounds");
    }
}
