package io.strata.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.client.TopicPartition;
import io.strata.client.admin.GroupDescription;
import io.strata.client.admin.GroupListing;
import io.strata.client.admin.GroupMemberDescription;
import io.strata.client.admin.GroupPartitionLag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(10)
class GroupFormatTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TopicPartition P0 = new TopicPartition("orders", 0);
    private static final TopicPartition P1 = new TopicPartition("orders", 1);

    private static final GroupDescription BILLING = new GroupDescription("billing", "stable", 4, "uniform",
            List.of(new GroupMemberDescription("m1", Optional.empty(), "app", "10.0.0.5", 4, Set.of(P0), Set.of(P0),
                    Set.of("orders"), Optional.empty())),
            List.of(new GroupPartitionLag(P0, OptionalLong.of(10), 15, 5, Optional.of("m1")),
                    new GroupPartitionLag(P1, OptionalLong.empty(), -1, -1, Optional.empty())));

    @Test
    void describeJsonHasTheContractedFieldsPerPartition() throws Exception {
        JsonNode root = JSON.readTree(JsonFormat.groupDescription(BILLING));

        assertThat(root.get("groupId").asText()).isEqualTo("billing");
        assertThat(root.get("state").asText()).isEqualTo("stable");
        assertThat(root.get("totalLag").asLong()).isEqualTo(5);
        JsonNode p0 = root.get("partitions").get(0);
        assertThat(p0.get("topic").asText()).isEqualTo("orders");
        assertThat(p0.get("partition").asInt()).isZero();
        assertThat(p0.get("committed").asLong()).isEqualTo(10);
        assertThat(p0.get("logEndOffset").asLong()).isEqualTo(15);
        assertThat(p0.get("lag").asLong()).isEqualTo(5);
        assertThat(p0.get("member").asText()).isEqualTo("m1");
        JsonNode p1 = root.get("partitions").get(1);
        assertThat(p1.get("committed").isNull()).as("nothing committed").isTrue();
        assertThat(p1.get("logEndOffset").isNull()).as("log end unknown").isTrue();
        assertThat(p1.get("lag").isNull()).isTrue();
        assertThat(p1.get("member").isNull()).as("unassigned").isTrue();
        JsonNode member = root.get("members").get(0);
        assertThat(member.get("memberId").asText()).isEqualTo("m1");
        assertThat(member.get("instanceId").isNull()).isTrue();
        assertThat(member.get("assignment").toString()).isEqualTo("[{\"topic\":\"orders\",\"partition\":0}]");
    }

    @Test
    void describeTextShowsUnknownValuesAsDashes() {
        String text = TextFormat.groupDescription(BILLING);

        assertThat(text).startsWith("Group: billing\tState: stable");
        assertThat(text).contains("TOPIC   PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG  MEMBER-ID  HOST      CLIENT-ID");
        assertThat(text).containsPattern("orders +0 +10 +15 +5 +m1 +10\\.0\\.0\\.5 +app");
        assertThat(text).containsPattern("orders +1 +- +- +- +- +- +-");
        assertThat(text).contains("MEMBER-ID  INSTANCE-ID  CLIENT-ID  HOST      EPOCH  PARTITIONS");
    }

    @Test
    void listJsonHasOneObjectPerGroup() throws Exception {
        JsonNode root = JSON.readTree(JsonFormat.groupList(List.of(new GroupListing("billing", "stable", 2),
                new GroupListing("idle", "empty", 0))));

        assertThat(root.get("groups")).hasSize(2);
        assertThat(root.get("groups").get(1).get("groupId").asText()).isEqualTo("idle");
        assertThat(root.get("groups").get(1).get("members").asInt()).isZero();
    }

    @Test
    void resetPlanIsSortedByTopicAndPartition() throws Exception {
        Map<TopicPartition, Long> plan = new LinkedHashMap<>();
        plan.put(P1, 7L);
        plan.put(P0, 3L);

        JsonNode root = JSON.readTree(JsonFormat.offsetReset("billing", false, plan));

        assertThat(root.get("executed").asBoolean()).isFalse();
        assertThat(root.get("offsets").get(0).get("partition").asInt()).isZero();
        assertThat(root.get("offsets").get(0).get("offset").asLong()).isEqualTo(3);
        assertThat(TextFormat.offsetReset("billing", plan)).isEqualTo("""
                GROUP    TOPIC   PARTITION  NEW-OFFSET
                billing  orders  0          3
                billing  orders  1          7
                """);
    }
}
