package io.strata.client.internal;

import io.strata.proto.v1.ClusterMetadata;
import io.strata.proto.v1.TopicMetadata;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class ClusterSnapshotTest {

    private static final String MAX = "max.message.bytes";

    @Test
    void aTopicConfigIsItsOverrideElseTheClusterDefaultElseEmpty() {
        ClusterMetadata answer = ClusterMetadata.newBuilder()
                .addTopics(TopicMetadata.newBuilder().setName("own").putConfigs(MAX, "5000"))
                .addTopics(TopicMetadata.newBuilder().setName("plain"))
                .putDefaultConfigs(MAX, "2000")
                .build();
        ClusterSnapshot s = ClusterSnapshot.EMPTY.merge(answer, Set.of("own", "plain"), 1);

        assertThat(s.topicConfig(s.topics().get("own"), MAX)).contains("5000");
        assertThat(s.topicConfig(s.topics().get("plain"), MAX)).contains("2000");
        assertThat(s.topicConfig(s.topics().get("plain"), "retention.ms")).isEmpty();
    }

    @Test
    void anAnswerWithoutDefaultsKeepsTheDefaultsKnown() {
        ClusterSnapshot s = ClusterSnapshot.EMPTY.merge(ClusterMetadata.newBuilder().putDefaultConfigs(MAX, "2000").build(),
                Set.of(), 1);
        ClusterSnapshot next = s.merge(ClusterMetadata.newBuilder()
                .addTopics(TopicMetadata.newBuilder().setName("plain")).build(), Set.of("plain"), 2);

        assertThat(next.defaultConfigs()).containsEntry(MAX, "2000");
        assertThat(next.topicConfig(next.topics().get("plain"), MAX)).contains("2000");
    }
}
