package io.strata.groups.coordinator;

import io.strata.proto.v1.CommitOffsetsRequest;
import io.strata.proto.v1.OffsetCommit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Many threads heartbeat and commit in several groups at once while the store completes its
 * writes on its own threads: nothing hangs, nothing breaks the ownership invariant, and every
 * group settles. Prints the rate reached (no timing is asserted).
 */
@Timeout(120)
class ConcurrencyTest {

    @Test
    void concurrentHeartbeatsAcrossGroupsNeitherHangNorBreakTheInvariant() throws Exception {
        Fixture f = new Fixture().topic("t", 64);
        ExecutorService store = Executors.newFixedThreadPool(2);
        ExecutorService consumers = Executors.newFixedThreadPool(8);
        f.persistence.completer = store;
        try {
            List<Client> clients = new ArrayList<>();
            for (int g = 0; g < 4; g++) {
                for (int m = 0; m < 8; m++) {
                    clients.add(new Client(f, "group-" + g, List.of("t")));
                }
            }
            AtomicInteger heartbeats = new AtomicInteger();
            long start = System.nanoTime();
            List<Future<?>> running = new ArrayList<>();
            for (Client client : clients) {
                running.add(consumers.submit(() -> {
                    for (int i = 0; i < 150; i++) {
                        synchronized (client) {
                            client.poll();
                            heartbeats.incrementAndGet();
                            if (i % 10 == 0) {
                                CompletableFuture<Void> commit = f.coordinator.commitOffsets(CommitOffsetsRequest.newBuilder()
                                        .setGroupId(client.groupId).setMemberId(client.memberId).setMemberEpoch(client.epoch)
                                        .addOffsets(OffsetCommit.newBuilder().setTopic("t").setPartition(i % 64).setOffset(i))
                                        .build());
                                commit.exceptionally(e -> null).join();
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> future : running) {
                future.get();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("%d heartbeats from 8 threads over 4 groups in %.2f s (%.0f/s)%n",
                    heartbeats.get(), seconds, heartbeats.get() / seconds);

            for (int g = 0; g < 4; g++) {
                String group = "group-" + g;
                List<Client> members = clients.stream().filter(c -> c.groupId.equals(group)).toList();
                for (int round = 0; round < 10 && !members.stream().allMatch(Client::stable); round++) {
                    members.forEach(Client::poll);
                }
                assertThat(members).allMatch(Client::stable);
                assertThat(members).allSatisfy(c -> assertThat(c.owned).hasSize(8));
                f.checkInvariants(group);
            }
        } finally {
            consumers.shutdownNow();
            store.shutdownNow();
        }
    }
}
