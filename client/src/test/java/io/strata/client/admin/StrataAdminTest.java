package io.strata.client.admin;

import io.strata.client.StrataException;
import io.strata.client.testing.FakeStrata;
import io.strata.proto.v1.ErrorCode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.ServerSocket;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(30)
class StrataAdminTest {

    private FakeStrata fake;
    private StrataAdmin admin;

    @BeforeEach
    void start() throws Exception {
        fake = new FakeStrata();
        admin = StrataAdmin.forBootstrap(fake.bootstrap());
    }

    @AfterEach
    void stop() throws Exception {
        admin.close();
        fake.close();
    }

    @Test
    void createdTopicIsListedAndDescribed() {
        TopicDescription created = admin.createTopic(new NewTopic("orders", 3, 1, Map.of("retention.ms", "1000")));
        assertThat(created.partitions()).hasSize(3);
        assertThat(admin.listTopics()).containsExactly(new TopicListing("orders", "id-orders", 3, 1));
        TopicDescription d = admin.describeTopic("orders");
        assertThat(d.partitions().get(0).leader()).isEqualTo(1);
        assertThat(d.partitions().get(0).replicas()).containsExactly(1);
        assertThat(d.replicationFactor()).isEqualTo(1);
    }

    @Test
    void offlineLeaderIsNull() {
        admin.createTopic(new NewTopic("t", 1, 1));
        fake.leader("t", -1);
        assertThat(admin.describeTopic("t").partitions().get(0).leader()).isNull();
    }

    @Test
    void serverErrorsKeepTheirReason() {
        admin.createTopic(NewTopic.withDefaults("dup"));
        assertThatThrownBy(() -> admin.createTopic(NewTopic.withDefaults("dup")))
                .isInstanceOfSatisfying(StrataException.class, e -> {
                    assertThat(e.reason()).isEqualTo(ErrorCode.TOPIC_ALREADY_EXISTS);
                    assertThat(e.getMessage()).isEqualTo("topic 'dup' already exists");
                });
        assertThatThrownBy(() -> admin.describeTopic("nope")).isInstanceOfSatisfying(StrataException.class,
                e -> assertThat(e.reason()).isEqualTo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
    }

    @Test
    void partitionsBelowOneFailWithoutAskingTheServer() {
        assertThatThrownBy(() -> admin.createTopic(new NewTopic("t", 0, 1)))
                .isInstanceOfSatisfying(StrataException.class,
                        e -> assertThat(e.reason()).isEqualTo(ErrorCode.INVALID_PARTITIONS));
        assertThat(admin.listTopics()).isEmpty();
    }

    @Test
    void clusterMetadataListsLiveNodes() {
        ClusterDescription c = admin.clusterMetadata();
        assertThat(c.clusterId()).isEqualTo("fake");
        assertThat(c.nodes()).singleElement().satisfies(n -> assertThat(n.port()).isEqualTo(fake.port()));
    }

    @Test
    void unreachableServerIsReportedAsUnavailable() throws Exception {
        int freePort;
        try (ServerSocket s = new ServerSocket(0)) {
            freePort = s.getLocalPort();
        }
        try (StrataAdmin down = StrataAdmin.forBootstrap("127.0.0.1:" + freePort)) {
            assertThatThrownBy(down::listTopics).isInstanceOfSatisfying(StrataException.class, e -> {
                assertThat(e.reasonName()).isEqualTo("UNAVAILABLE");
                assertThat(e.retriable()).isTrue();
                assertThat(e.getMessage()).contains("127.0.0.1:" + freePort);
            });
        }
    }

    @Test
    void secondBootstrapAddressIsTriedWhenTheFirstIsUnreachable() throws Exception {
        int freePort;
        try (ServerSocket s = new ServerSocket(0)) {
            freePort = s.getLocalPort();
        }
        try (StrataAdmin two = new StrataAdmin(Map.of("bootstrap.servers",
                "127.0.0.1:" + freePort + "," + fake.bootstrap()))) {
            assertThat(two.listTopics()).isEmpty();
        }
    }
}
