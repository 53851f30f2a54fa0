package io.strata.runtime.coordination;

import io.grpc.Status;
import io.strata.proto.v1.ResignRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import static io.strata.runtime.coordination.FakeCoordination.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The election life cycle against a scripted coordination: a term per win, stopped when the
 * campaign ends, on step-down and on close; campaigning again after a lost term; the observed leader.
 */
@Timeout(60)
class SingletonRoleElectionTest {

    private static final String CANDIDATE = "127.0.0.1:9100";

    /** A term that records what the election did to it. */
    static final class RecordedTerm implements SingletonRoleElection.Term {
        final long number;
        volatile int starts;
        volatile int stops;

        RecordedTerm(long number) {
            this.number = number;
        }

        @Override
        public void start() {
            starts++;
        }

        @Override
        public void stop() {
            stops++;
        }
    }

    private final List<FakeCoordination> coordination = new CopyOnWriteArrayList<>();
    private final List<RecordedTerm> terms = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);
    private CoordinationChannels channels;
    private SingletonRoleElection<RecordedTerm> election;

    private FakeCoordination start(int instances) throws Exception {
        for (int i = 0; i < instances; i++) {
            coordination.add(new FakeCoordination());
        }
        channels = new CoordinationChannels(coordination.stream().map(FakeCoordination::address).toList());
        election = new SingletonRoleElection<>(channels, scheduler, "singleton", CANDIDATE, 6_000, n -> {
            RecordedTerm t = new RecordedTerm(n);
            terms.add(t);
            return t;
        });
        election.start();
        return coordination.get(0);
    }

    @AfterEach
    void stop() {
        if (election != null) {
            election.close();
            channels.close();
        }
        scheduler.shutdownNow();
        coordination.forEach(FakeCoordination::close);
    }

    @Test
    void campaignsWithItsCandidateIdAndRunsATermWhileItLeads() throws Exception {
        FakeCoordination c = start(1);
        FakeCoordination.Campaign campaign = c.campaign(0);
        assertThat(campaign.request.getElection()).isEqualTo("singleton");
        assertThat(campaign.request.getCandidateId()).isEqualTo(CANDIDATE);
        assertThat(campaign.request.getSessionTimeoutMs()).isEqualTo(6_000);
        assertThat(election.term()).isEmpty();

        campaign.elect(7);
        await(() -> election.term().isPresent());
        RecordedTerm term = election.term().orElseThrow();
        assertThat(term.number).isEqualTo(7);
        assertThat(term.starts).isEqualTo(1);

        campaign.elect(7); // the same term again changes nothing
        campaign.elect(8); // a new term replaces the old one
        await(() -> terms.size() == 2);
        assertThat(term.stops).isEqualTo(1);
        assertThat(election.term()).containsSame(terms.get(1));
        assertThat(terms.get(1).starts).isEqualTo(1);
    }

    @Test
    void aLostTermStopsAtOnceAndTheInstanceCampaignsAgain() throws Exception {
        FakeCoordination c = start(1);
        c.campaign(0).elect(1);
        await(() -> election.term().isPresent());

        c.campaign(0).responses.onCompleted(); // leadership lost
        await(() -> election.term().isEmpty());
        assertThat(terms.get(0).stops).isEqualTo(1);

        c.campaign(1).elect(2);
        await(() -> election.term().map(t -> t.number == 2).orElse(false));
    }

    @Test
    void aCampaignFailingOnAnUnusableInstanceMovesToTheNextOne() throws Exception {
        FakeCoordination first = start(2);
        first.campaign(0).responses.onError(Status.UNAVAILABLE.withDescription("no store").asRuntimeException());
        FakeCoordination second = coordination.get(1);
        second.campaign(0).elect(4);
        await(() -> election.term().isPresent());
        assertThat(first.campaigns).hasSize(1);
    }

    @Test
    void steppingDownStopsTheTermResignsAndCampaignsAgain() throws Exception {
        FakeCoordination c = start(1);
        c.campaign(0).elect(3);
        await(() -> election.term().isPresent());

        election.stepDown(2); // another term: nothing happens
        assertThat(election.term()).isPresent();
        assertThat(terms.get(0).stops).isZero();

        election.stepDown(3);
        assertThat(election.term()).isEmpty();
        assertThat(terms.get(0).stops).isEqualTo(1);
        await(() -> c.resigns.size() == 1 && c.campaign(0).cancelled);
        ResignRequest resign = c.resigns.get(0);
        assertThat(resign.getElection()).isEqualTo("singleton");
        assertThat(resign.getCandidateId()).isEqualTo(CANDIDATE);

        c.campaign(1).elect(4);
        await(() -> election.term().map(t -> t.number == 4).orElse(false));
    }

    @Test
    void closingStopsTheTermAndWithdrawsTheCandidacyForGood() throws Exception {
        FakeCoordination c = start(1);
        c.campaign(0).elect(1);
        await(() -> election.term().isPresent());

        election.close();
        assertThat(election.term()).isEmpty();
        assertThat(terms.get(0).stops).isEqualTo(1);
        await(() -> c.campaign(0).cancelled);
        Thread.sleep(3 * SingletonRoleElection.RECAMPAIGN_MS);
        assertThat(c.campaigns).hasSize(1);
    }

    @Test
    void namesTheObservedLeaderWhenItIsAnotherInstance() throws Exception {
        FakeCoordination c = start(1);
        assertThat(election.otherLeader()).isEmpty();
        c.campaign(0); // the observation started before the campaign
        c.publishLeader("127.0.0.1:9200", 5);
        await(() -> election.otherLeader().isPresent());
        assertThat(election.otherLeader()).contains("127.0.0.1:9200");

        c.publishLeader(CANDIDATE, 6);
        await(() -> election.otherLeader().isEmpty());
    }
}
