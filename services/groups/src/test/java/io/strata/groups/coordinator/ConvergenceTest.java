package io.strata.groups.coordinator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;

import static io.strata.groups.coordinator.Fixture.GROUP;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * 100 members over 1,000 partitions; one more joins. Prints how many heartbeat rounds (every
 * member heartbeats once and finishes reconciling before the next) it takes until every member is
 * stable. No timing is asserted.
 */
@Timeout(120)
class ConvergenceTest {

    @Test
    void oneMemberJoiningAHundredSettlesInAFewRounds() {
        Fixture f = new Fixture().topic("events", 1000);
        List<Client> clients = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            Client client = f.client("events");
            client.join();
            clients.add(client);
        }
        int initialRounds = f.settle(clients);
        for (Client client : clients) {
            assertThat(client.owned).hasSize(10);
        }

        Client joiner = f.client("events");
        long start = System.nanoTime();
        joiner.join();
        int heartbeats = 1;
        clients.add(joiner);
        int rounds = 0;
        boolean stable = false;
        while (!stable) {
            rounds++;
            assertThat(rounds).isLessThan(20);
            stable = true;
            for (Client client : clients) {
                client.poll();
                heartbeats++;
                stable &= client.stable();
            }
            f.checkInvariants(GROUP);
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        long moved = clients.stream().filter(c -> c != joiner && c.owned.size() < 10).count();

        System.out.printf("100 members x 1000 partitions: the initial 100 joins settled in %d rounds; "
                        + "member 101 joined and all were stable after %d rounds (%d heartbeats, %d ms); "
                        + "%d members gave up a partition, the joiner owns %d%n",
                initialRounds, rounds, heartbeats, millis, moved, joiner.owned.size());
        assertThat(joiner.owned).hasSizeBetween(9, 10);
        assertThat(f.describe().getState()).isEqualTo("stable");
    }
}
