package io.strata.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code strata group describe GROUP --output json}, as a script reads it: {@code state},
 * {@code members} (with {@code clientId}, {@code memberId}, {@code assignment} and
 * {@code targetAssignment}) and, per partition, {@code committed}, {@code logEndOffset},
 * {@code lag} and {@code member}.
 */
record DescribedGroup(JsonNode doc) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Runs the command; fails the test unless it exits 0. */
    static DescribedGroup of(String bootstrap, String group) throws Exception {
        Cli.Result r = Cli.runWithBootstrapEnv(bootstrap, null, "group", "describe", group, "--output", "json");
        assertThat(r.exitCode()).as("group describe %s: %s", group, r.stderr()).isZero();
        return new DescribedGroup(JSON.readTree(r.stdout()));
    }

    String state() {
        return doc.get("state").asText();
    }

    /** Partition of {@code topic} → its object in {@code partitions}. */
    Map<Integer, JsonNode> partitions(String topic) {
        Map<Integer, JsonNode> out = new TreeMap<>();
        for (JsonNode p : doc.get("partitions")) {
            if (p.get("topic").asText().equals(topic)) {
                out.put(p.get("partition").asInt(), p);
            }
        }
        return out;
    }

    /** Partition of {@code topic} → committed offset, for the partitions that have one. */
    Map<Integer, Long> committed(String topic) {
        Map<Integer, Long> out = new TreeMap<>();
        partitions(topic).forEach((p, n) -> {
            if (!n.get("committed").isNull()) {
                out.put(p, n.get("committed").asLong());
            }
        });
        return out;
    }

    /** Client id → the member's object; fails the test when two members share a client id. */
    Map<String, JsonNode> membersByClientId() {
        Map<String, JsonNode> out = new TreeMap<>();
        doc.get("members").forEach(m -> assertThat(out.put(m.get("clientId").asText(), m))
                .as("another member with client id %s in %s", m.get("clientId").asText(), doc).isNull());
        return out;
    }

    /** Each member's partitions of {@code topic} ({@code assignment}), in the order members are listed. */
    List<Set<Integer>> memberAssignments(String topic) {
        List<Set<Integer>> out = new ArrayList<>();
        doc.get("members").forEach(m -> out.add(partitionsOf(m.get("assignment"), topic)));
        return out;
    }

    /** Client id → the partitions of {@code topic} the member owns ({@code assignment}); client ids must be unique. */
    Map<String, Set<Integer>> assignments(String topic) {
        Map<String, Set<Integer>> out = new TreeMap<>();
        membersByClientId().forEach((client, m) -> out.put(client, partitionsOf(m.get("assignment"), topic)));
        return out;
    }

    /**
     * Whether every member owns exactly its target and the group says it is stable: nothing is
     * being moved.
     */
    boolean settled(String topic) {
        for (JsonNode m : doc.get("members")) {
            if (!partitionsOf(m.get("assignment"), topic).equals(partitionsOf(m.get("targetAssignment"), topic))) {
                return false;
            }
        }
        return state().equals("stable");
    }

    private static Set<Integer> partitionsOf(JsonNode array, String topic) {
        Set<Integer> out = new TreeSet<>();
        array.forEach(tp -> {
            if (tp.get("topic").asText().equals(topic)) {
                out.add(tp.get("partition").asInt());
            }
        });
        return out;
    }

    @Override
    public String toString() {
        return doc.toString();
    }
}
