package io.strata.groups.coordinator;

import io.strata.groups.assignor.TopicPartition;
import io.strata.proto.v1.GroupDescription;
import io.strata.proto.v1.GroupHeartbeatResponse;
import io.strata.proto.v1.MemberDescription;
import io.strata.proto.v1.PartitionLag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import static io.strata.groups.coordinator.Fixture.GROUP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Random joins, leaves, heartbeats, lost responses, fencing, timeouts, topic changes, slow and
 * failing writes, take-overs, and static members that crash and restart (joining under their
 * instance id while their old membership is still live) or get a twin process with the same
 * instance id (which replaces them; they stop at FENCED_INSTANCE_ID); after every step the ownership invariant is checked on the
 * coordinator (no partition held by two members, the owner index matching the members) and on
 * the simulated clients (no partition owned by two clients the coordinator counts as members).
 */
@Timeout(120)
class RandomizedSimulationTest {

    private static final int STEPS = 2000;
    private static final List<List<String>> SUBSCRIPTIONS = List.of(List.of("a"), List.of("b"), List.of("a", "b"));

    /** The failure the simulated store injects. */
    private static final class StoreDown extends RuntimeException {
        StoreDown() {
            super("store unreachable", null, false, false);
        }
    }

    /** One simulated consumer and its heartbeat in flight. */
    private static final class Sim {
        final Client client;
        CompletableFuture<GroupHeartbeatResponse> inFlight;
        boolean away;

        Sim(Client client) {
            this.client = client;
        }
    }

    private Fixture f;
    private Random random;
    private final List<Sim> sims = new ArrayList<>();
    private int instances;
    private int extraTopics;
    private final Map<String, Integer> stepCounts = new HashMap<>();

    @ParameterizedTest
    @ValueSource(longs = {1, 7, 2024})
    void theOwnershipInvariantHoldsAtEveryStep(long seed) {
        f = new Fixture();
        random = new Random(seed);
        f.topic("a", 8).topic("b", 5);
        f.persistence.onPut = Fixture::held; // every record written holds each partition at most once

        for (int step = 0; step < STEPS; step++) {
            step();
            collect();
            check("step " + step + " (seed " + seed + ")");
        }
        converge(seed);
        assertThat(stepCounts).as("static members crashed, got twins, and twins were fenced")
                .containsKeys("crash-static", "twin-static", "fenced-instance");
        System.out.printf("seed %d: %s; group epoch %d, %d records written%n", seed, stepCounts, f.groupEpoch(),
                f.persistence.puts().size());
    }

    private void step() {
        int op = random.nextInt(100);
        if (op < 8) {
            count("join");
            if (sims.size() < 14) {
                join();
            }
        } else if (op < 58) {
            count("heartbeat");
            active().ifPresent(this::heartbeat);
        } else if (op < 62) {
            count("leave");
            active().filter(s -> !s.client.memberId.isEmpty()).ifPresent(s -> {
                s.client.fixture.coordinator.heartbeat(s.client.request(-1), "h");
                s.client.lost();
                s.inFlight = null;
                if (random.nextBoolean()) {
                    sims.remove(s);
                }
            });
        } else if (op < 66) {
            count("leave-static");
            active().filter(s -> !s.client.instanceId.isEmpty() && !s.client.memberId.isEmpty()).ifPresent(s -> {
                f.coordinator.heartbeat(s.client.request(-2), "h");
                s.client.lost();
                s.inFlight = null;
                s.away = true;
            });
        } else if (op < 70) {
            count("return-static");
            pick(sims.stream().filter(s -> s.away).toList()).ifPresent(s -> {
                s.away = false;
                heartbeat(s);
            });
        } else if (op < 77) {
            count("time");
            f.advance(Duration.ofMillis(random.nextInt(4000)));
            f.tick();
        } else if (op < 81) {
            count("topics");
            changeTopics();
        } else if (op < 83) {
            count("fence");
            active().filter(s -> s.client.epoch > 0).ifPresent(s -> {
                s.client.epoch += 7;
                s.inFlight = s.client.send();
            });
        } else if (op < 86) {
            count("lost-response");
            active().ifPresent(s -> s.client.send());
        } else if (op < 90) {
            crashStatic();
        } else if (op < 97) {
            count("persistence");
            persistence();
        } else {
            count("fail-over");
            if (f.persistence.pendingPuts().isEmpty() && sims.stream().allMatch(s -> s.inFlight == null)) {
                f.failOver();
            }
        }
    }

    /**
     * kill -9 of a static member's process (it never leaves): mostly it restarts and joins at once
     * under its instance id, sometimes later (a "return-static" step brings it back, within its
     * session timeout or not); or, instead, a second process is started with the same instance id.
     */
    private void crashStatic() {
        Optional<Sim> picked = active().filter(s -> !s.client.instanceId.isEmpty() && !s.client.memberId.isEmpty());
        if (picked.isEmpty()) {
            return;
        }
        Sim sim = picked.get();
        int how = random.nextInt(3);
        if (how == 0 && sims.size() < 16) {
            count("twin-static");
            Client twin = f.client();
            twin.topics = SUBSCRIPTIONS.get(random.nextInt(SUBSCRIPTIONS.size()));
            twin.instance(sim.client.instanceId).session(6000).rebalance(8000);
            Sim second = new Sim(twin);
            sims.add(second);
            heartbeat(second);
            return;
        }
        count("crash-static");
        sim.client.lost(); // the new process knows nothing of the old one
        if (how == 1) {
            sim.away = true;
        } else {
            heartbeat(sim);
        }
    }

    private void count(String op) {
        stepCounts.merge(op, 1, Integer::sum);
    }

    private void join() {
        Client client = f.client();
        client.topics = SUBSCRIPTIONS.get(random.nextInt(SUBSCRIPTIONS.size()));
        if (random.nextInt(5) == 0) {
            client.topics = List.of();
            client.regex = "c.*|b";
        }
        if (random.nextInt(3) == 0) {
            client.instance("i" + (++instances));
        }
        client.session(6000).rebalance(8000);
        Sim sim = new Sim(client);
        sims.add(sim);
        heartbeat(sim);
    }

    private Optional<Sim> active() {
        return pick(sims.stream().filter(s -> !s.away && s.inFlight == null).toList());
    }

    private <T> Optional<T> pick(List<T> from) {
        return from.isEmpty() ? Optional.empty() : Optional.of(from.get(random.nextInt(from.size())));
    }

    private void heartbeat(Sim sim) {
        sim.inFlight = sim.client.send();
    }

    /** Takes the answers that arrived. */
    private void collect() {
        List<Sim> stopped = new ArrayList<>();
        for (Sim sim : sims) {
            if (sim.inFlight == null || !sim.inFlight.isDone()) {
                continue;
            }
            CompletableFuture<GroupHeartbeatResponse> done = sim.inFlight;
            sim.inFlight = null;
            try {
                sim.client.accept(done.get());
            } catch (ExecutionException e) {
                if (e.getCause() instanceof GroupException refusal) {
                    switch (refusal.code()) {
                        case FENCED_MEMBER_EPOCH, UNKNOWN_MEMBER_ID -> sim.client.lost();
                        // Another process took its instance id: fatal, it never rejoins (no ping-pong).
                        case FENCED_INSTANCE_ID -> {
                            count("fenced-instance");
                            stopped.add(sim);
                        }
                        default -> fail("unexpected refusal " + refusal.code() + ": " + refusal.getMessage());
                    }
                }
                if (!(e.getCause() instanceof GroupException) && !(e.getCause() instanceof StoreDown)) {
                    throw new AssertionError("heartbeat failed", e.getCause());
                }
                // The record write failed: keep the state, heartbeat again later.
                continue;
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            int how = random.nextInt(10);
            if (how < 7) {
                sim.client.reconcile();
            } else if (how < 9) {
                sim.client.owned.retainAll(sim.client.assignment); // revoked, not yet assigned
            }
        }
        sims.removeAll(stopped);
    }

    private void changeTopics() {
        int what = random.nextInt(4);
        Map<String, Integer> topics = f.topics();
        if (what == 0) {
            f.topic("a", Math.min(20, topics.get("a") + 1 + random.nextInt(3)));
        } else if (what == 1) {
            f.topic("b", Math.min(20, topics.get("b") + 1));
        } else if (what == 2) {
            f.topic("c" + (++extraTopics), 1 + random.nextInt(4));
        } else {
            pick(topics.keySet().stream().filter(t -> t.startsWith("c")).sorted().toList()).ifPresent(t -> f.topic(t, 0));
        }
    }

    private void persistence() {
        RecordingPersistence persistence = f.persistence;
        if (!persistence.manualPuts) {
            persistence.manualPuts = true;
            return;
        }
        int what = random.nextInt(10);
        if (what < 6) {
            pick(persistence.pendingPuts().stream().limit(1).toList()).ifPresent(put -> {
                if (random.nextInt(6) == 0) {
                    put.future().completeExceptionally(new StoreDown());
                } else {
                    put.future().complete(null);
                }
            });
        } else if (what < 8) {
            persistence.manualPuts = false;
            drain();
        }
    }

    private void drain() {
        List<RecordingPersistence.Put> pending;
        while (!(pending = f.persistence.pendingPuts()).isEmpty()) {
            pending.getFirst().future().complete(null);
        }
    }

    private void check(String when) {
        try {
            f.checkInvariants(GROUP);
        } catch (AssertionError e) {
            throw new AssertionError(when + ": " + e.getMessage(), e);
        }
        GroupDescription description;
        try {
            description = Fixture.await(f.coordinator.describe(GROUP));
        } catch (AssertionError e) {
            return;
        }
        Set<String> live = new HashSet<>();
        for (MemberDescription member : description.getMembersList()) {
            if (member.getMemberEpoch() != -2) {
                live.add(member.getMemberId());
            }
        }
        Map<TopicPartition, String> ownedBy = new HashMap<>();
        for (Sim sim : sims) {
            if (!live.contains(sim.client.memberId)) {
                continue;
            }
            for (TopicPartition partition : sim.client.owned) {
                String other = ownedBy.put(partition, sim.client.memberId);
                if (other != null) {
                    fail("%s: %s owned by clients %s and %s", when, partition, other, sim.client.memberId);
                }
            }
        }
    }

    /** Everything settles: writes flow, stray memberships expire, every member ends stable with its share. */
    private void converge(long seed) {
        f.persistence.manualPuts = false;
        drain();
        for (Sim sim : sims) {
            sim.away = false;
            sim.inFlight = null;
        }
        for (int second = 0; second < 8; second++) {
            for (Sim sim : sims) {
                heartbeat(sim);
            }
            collect();
            f.advance(Duration.ofSeconds(1));
            f.tick();
            check("converging (seed " + seed + ")");
        }
        for (int round = 0; round < 30; round++) {
            for (Sim sim : sims) {
                heartbeat(sim);
            }
            collect();
            for (Sim sim : sims) {
                sim.client.reconcile();
            }
            check("converging (seed " + seed + ")");
            if (sims.stream().allMatch(s -> s.client.stable())) {
                break;
            }
        }
        GroupDescription description = f.describe();
        assertThat(description.getState()).as("seed %d", seed).isEqualTo("stable");
        assertThat(description.getMembersCount()).isEqualTo(sims.size());
        for (PartitionLag row : description.getPartitionsList()) {
            boolean subscribed = sims.stream().anyMatch(s -> s.client.regex.isEmpty()
                    ? s.client.topics.contains(row.getTopic())
                    : row.getTopic().matches(s.client.regex));
            if (subscribed) {
                assertThat(row.getMember()).as("owner of %s-%d", row.getTopic(), row.getPartition()).isNotEmpty();
            }
        }
    }
}
