package io.strata.coordination.grpc;

import io.strata.proto.v1.CampaignRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.LeadershipEvent;
import io.strata.proto.v1.ObserveRequest;
import io.strata.proto.v1.ResignRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.strata.coordination.grpc.CoordinationTestServer.assertStrataError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Campaign, Resign and Observe over a real gRPC server. */
@Timeout(60)
class ElectionRpcTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private CoordinationTestServer coordination;
    private final List<StreamRecorder<?, LeadershipEvent>> streams = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        coordination = new CoordinationTestServer(dir);
    }

    @AfterEach
    void stop() throws Exception {
        streams.forEach(s -> {
            if (!s.ended.isDone()) {
                s.cancel();
            }
        });
        coordination.close();
    }

    private StreamRecorder<CampaignRequest, LeadershipEvent> campaign(String election, String candidate) {
        StreamRecorder<CampaignRequest, LeadershipEvent> recorder = new StreamRecorder<>();
        coordination.async().campaign(CampaignRequest.newBuilder().setElection(election).setCandidateId(candidate).build(), recorder);
        streams.add(recorder);
        return recorder;
    }

    private StreamRecorder<ObserveRequest, LeadershipEvent> observe(String election) {
        StreamRecorder<ObserveRequest, LeadershipEvent> recorder = new StreamRecorder<>();
        coordination.async().observe(ObserveRequest.newBuilder().setElection(election).build(), recorder);
        streams.add(recorder);
        return recorder;
    }

    @Test
    void theFirstCandidateLeadsAndTheNextWaits() {
        var first = campaign("replication", "a");
        await().atMost(WAIT).until(() -> first.values.size() == 1);
        var second = campaign("replication", "b");
        var observer = observe("replication");
        await().atMost(WAIT).until(() -> observer.values.size() == 1);

        assertThat(first.last().getLeaderId()).isEqualTo("a");
        assertThat(first.last().getTerm()).isPositive();
        assertThat(observer.last()).isEqualTo(first.last());
        assertThat(second.values).isEmpty();
    }

    @Test
    void resigningHandsLeadershipToTheNextCandidateWithAHigherTerm() {
        var first = campaign("groups", "a");
        await().atMost(WAIT).until(() -> first.values.size() == 1);
        var second = campaign("groups", "b");
        var observer = observe("groups");
        await().atMost(WAIT).until(() -> observer.values.size() == 1);

        coordination.blocking().resign(ResignRequest.newBuilder().setElection("groups").setCandidateId("a").build());

        assertThat(first.awaitEnd()).isNull();
        await().atMost(WAIT).until(() -> second.values.size() == 1);
        assertThat(second.last().getLeaderId()).isEqualTo("b");
        assertThat(second.last().getTerm()).isGreaterThan(first.last().getTerm());
        await().atMost(WAIT).until(() -> observer.last().getLeaderId().equals("b"));
    }

    @Test
    void aLeaderThatGoesAwayIsReplaced() {
        var first = campaign("operator", "a");
        await().atMost(WAIT).until(() -> first.values.size() == 1);
        var second = campaign("operator", "b");

        first.cancel();

        await().atMost(WAIT).until(() -> second.values.size() == 1);
        assertThat(second.last().getLeaderId()).isEqualTo("b");
    }

    @Test
    void observingAnElectionWithoutCandidatesShowsNoLeaderThenTheFirst() {
        var observer = observe("empty");
        await().atMost(WAIT).until(() -> observer.values.size() == 1);
        assertThat(observer.last()).isEqualTo(LeadershipEvent.newBuilder().setElection("empty").build());

        campaign("empty", "x");

        await().atMost(WAIT).until(() -> observer.values.size() == 2);
        assertThat(observer.last().getLeaderId()).isEqualTo("x");
    }

    @Test
    void aBadElectionNameIsInvalidRequest() {
        var bad = campaign("no/slash", "a");
        assertStrataError(bad.awaitEnd(), ErrorCode.INVALID_REQUEST, "election name");
        assertStrataError(() -> coordination.blocking().resign(ResignRequest.newBuilder().setElection("").setCandidateId("a").build()),
                ErrorCode.INVALID_REQUEST, "election name");
    }
}
