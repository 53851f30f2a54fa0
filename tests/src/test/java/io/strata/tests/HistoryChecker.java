package io.strata.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checks a topic's history: what {@link ProducerDoor}s report against the log read back, record
 * by record. Every acknowledged record is in the log exactly once, at the partition and offset it
 * was acknowledged with; no value is in the log twice (retries never duplicate); every value in
 * the log is one a door sent; each key's records are in send order within its one partition;
 * offsets are dense; and a record in the log that was never acknowledged is one whose answer was
 * lost (reported failed, or sent to a CLI process that died). What a consumer printed while the
 * faults happened ({@link #checkConsumed}) must be what the log holds at those offsets: consumers
 * see only committed records, which no failover removes.
 */
final class HistoryChecker {

    private static final ObjectMapper JSON = new ObjectMapper();

    private HistoryChecker() {
    }

    /** The problems found, each door's outcome, and a summary line per door and for the log. */
    record Verdict(Map<String, ProducerDoor.Outcome> outcomes, List<String> problems, String report) {
    }

    /** Checks the doors' reports (all their CLI processes exited) against the log. */
    static Verdict check(List<ProducerDoor> doors, Log log) throws IOException {
        List<String> problems = new ArrayList<>();
        StringBuilder report = new StringBuilder();
        Map<String, ProducerDoor.Outcome> outcomes = new LinkedHashMap<>();
        for (ProducerDoor d : doors) {
            ProducerDoor.Outcome o = d.outcome(problems);
            outcomes.put(d.name, o);
            checkDoor(d, o, log, problems);
            report.append(String.format("door-%s: sent %d, acknowledged %d, failed %d, in flight at a CLI exit %d, "
                            + "in the log without an ack %d; CLI processes %d; failure reasons %s%n", d.name, d.sent(),
                    o.acks.size(), o.failed.size(), o.inFlight.size(), unacknowledgedInLog(d, o, log).size(),
                    d.incarnations.size(), o.failureReasons()));
        }
        checkLog(doors, log, problems);
        report.append("log: ").append(log.records().size()).append(" records; per partition ")
                .append(log.endOffsets()).append('\n');
        return new Verdict(outcomes, problems, report.toString());
    }

    /**
     * What a consumer printed ({@code consume --output json} lines, in order) against the log:
     * each record is the one the log has at its partition and offset, and each partition's
     * offsets come in order without gaps or repeats from where the consumer started.
     */
    static void checkConsumed(String consumer, List<JsonNode> printed, Log log, List<String> problems) {
        Map<Integer, Long> next = new HashMap<>();
        for (JsonNode r : printed) {
            int partition = r.get("partition").asInt();
            long offset = r.get("offset").asLong();
            String value = r.get("value").asText();
            JsonNode inLog = log.at(partition, offset);
            if (inLog == null) {
                problems.add(consumer + " saw " + value + " at partition " + partition + " offset " + offset
                        + ", which the log no longer has (partition ends at " + log.endOffsets().get(partition) + ")");
            } else if (!inLog.get("value").asText().equals(value)) {
                problems.add(consumer + " saw " + value + " at partition " + partition + " offset " + offset
                        + ", where the log has " + inLog.get("value").asText());
            }
            Long expected = next.put(partition, offset + 1);
            if (expected != null && offset != expected) {
                problems.add(consumer + " read partition " + partition + " offset " + offset + " after offset "
                        + (expected - 1));
            }
        }
    }

    /** Each acknowledged record of {@code door} sits in the log at its partition and offset. */
    private static void checkDoor(ProducerDoor door, ProducerDoor.Outcome o, Log log, List<String> problems) {
        for (ProducerDoor.Ack a : o.acks.values()) {
            if (a.offset() < 0) {
                // Acknowledged without an offset: a retry the leader found written before (Kafka's DUPLICATE_SEQUENCE rule).
                List<JsonNode> found = log.withValue(a.value());
                if (found.isEmpty() || found.get(0).get("partition").asInt() != a.partition()) {
                    problems.add("door-" + door.name + " acknowledged " + a.value() + " (key " + a.key() + ") in partition "
                            + a.partition() + " without an offset, but the log has it " + (found.isEmpty() ? "nowhere"
                            : "in partition " + found.get(0).get("partition").asInt()));
                }
                continue;
            }
            JsonNode at = log.at(a.partition(), a.offset());
            if (at == null) {
                problems.add("door-" + door.name + " acknowledged " + a.value() + " (key " + a.key() + ") at partition "
                        + a.partition() + " offset " + a.offset() + ", but the log has no record there (partition "
                        + a.partition() + " ends at " + log.endOffsets().get(a.partition()) + ")");
            } else if (!a.value().equals(at.get("value").asText()) || !a.key().equals(at.get("key").asText())) {
                problems.add("door-" + door.name + " acknowledged " + a.value() + " (key " + a.key() + ") at partition "
                        + a.partition() + " offset " + a.offset() + ", but the log has " + at.get("value").asText()
                        + " (key " + at.get("key").asText() + ") there");
            }
        }
        for (Map.Entry<Integer, JsonNode> e : unacknowledgedInLog(door, o, log).entrySet()) {
            int seq = e.getKey();
            if (!o.failed.containsKey(seq) && !o.inFlight.contains(seq)) {
                problems.add("door-" + door.name + " neither acknowledged nor failed " + door.value(seq)
                        + ", yet the log has it at partition " + e.getValue().get("partition").asInt() + " offset "
                        + e.getValue().get("offset").asLong());
            }
        }
    }

    /** The door's records in the log that it never acknowledged, by sequence number. */
    private static Map<Integer, JsonNode> unacknowledgedInLog(ProducerDoor door, ProducerDoor.Outcome o, Log log) {
        Map<Integer, JsonNode> found = new TreeMap<>();
        for (JsonNode r : log.records()) {
            Integer seq = door.seqOf(r.get("value").asText());
            if (seq != null && !o.acks.containsKey(seq)) {
                found.put(seq, r);
            }
        }
        return found;
    }

    /** No value twice, every value one a door sent, dense offsets, each key in one partition and in send order. */
    private static void checkLog(List<ProducerDoor> doors, Log log, List<String> problems) {
        Map<String, List<JsonNode>> byValue = new LinkedHashMap<>();
        for (JsonNode r : log.records()) {
            byValue.computeIfAbsent(r.get("value").asText(), v -> new ArrayList<>()).add(r);
        }
        byValue.forEach((value, rs) -> {
            if (rs.size() > 1) {
                problems.add(value + " is in the log " + rs.size() + " times: " + rs.stream()
                        .map(r -> "partition " + r.get("partition").asInt() + " offset " + r.get("offset").asLong())
                        .collect(Collectors.joining(", ")));
            }
            if (seqOf(doors, value) == null) {
                problems.add("the log has a value no door sent: " + value + " at partition "
                        + rs.get(0).get("partition").asInt() + " offset " + rs.get(0).get("offset").asLong());
            }
        });
        Map<String, Integer> partitionOfKey = new HashMap<>();
        log.byPartition().forEach((partition, rs) -> {
            Map<String, JsonNode> lastOfKey = new HashMap<>();
            for (int i = 0; i < rs.size(); i++) {
                JsonNode r = rs.get(i);
                long offset = r.get("offset").asLong();
                if (offset != i) {
                    problems.add("partition " + partition + " is not dense: its record #" + i + " has offset " + offset);
                    break;
                }
                String key = r.get("key").asText();
                Integer earlier = partitionOfKey.putIfAbsent(key, partition);
                if (earlier != null && earlier.intValue() != partition) {
                    problems.add("key " + key + " is in partitions " + earlier + " and " + partition);
                }
                JsonNode previous = lastOfKey.put(key, r);
                Integer seq = seqOf(doors, r.get("value").asText());
                Integer previousSeq = previous == null ? null : seqOf(doors, previous.get("value").asText());
                if (seq != null && previousSeq != null && seq <= previousSeq) {
                    problems.add("key " + key + " out of order in partition " + partition + ": "
                            + previous.get("value").asText() + " at offset " + previous.get("offset").asLong() + " before "
                            + r.get("value").asText() + " at offset " + offset);
                }
            }
        });
    }

    private static Integer seqOf(List<ProducerDoor> doors, String value) {
        for (ProducerDoor d : doors) {
            Integer seq = d.seqOf(value);
            if (seq != null) {
                return seq;
            }
        }
        return null;
    }

    /** The first {@code n} of {@code items}, for a problem's text. */
    static String first(Collection<?> items, int n) {
        return items.stream().limit(n).map(Object::toString).collect(Collectors.joining("; "));
    }

    /** The records of a topic as consumed, indexed by partition and offset. */
    static final class Log {
        private final List<JsonNode> records;
        private final Map<Integer, List<JsonNode>> byPartition = new TreeMap<>();
        private final Map<Integer, Map<Long, JsonNode>> byOffset = new HashMap<>();
        private final Map<String, List<JsonNode>> byValue = new HashMap<>();

        Log(List<JsonNode> records) {
            this.records = List.copyOf(records);
            for (JsonNode r : records) {
                int partition = r.get("partition").asInt();
                byPartition.computeIfAbsent(partition, p -> new ArrayList<>()).add(r);
                byOffset.computeIfAbsent(partition, p -> new HashMap<>()).putIfAbsent(r.get("offset").asLong(), r);
                byValue.computeIfAbsent(r.get("value").asText(), v -> new ArrayList<>()).add(r);
            }
            byPartition.values().forEach(rs -> rs.sort((a, b) -> Long.compare(a.get("offset").asLong(), b.get("offset").asLong())));
        }

        /**
         * Every record of {@code topic}, read from the beginning by one {@code strata consume} over all
         * partitions, which stops after {@code idleMs} without a new record.
         */
        static Log consume(String bootstrap, String topic, long idleMs) throws Exception {
            Cli.Result r = Cli.runWithBootstrapEnv(bootstrap, null, "consume", topic, "--from-beginning", "--output", "json",
                    "--timeout-ms", Long.toString(idleMs));
            assertThat(r.exitCode()).as(r.stderr()).isZero();
            return parse(r.stdoutLines());
        }

        /** The records of {@code consume --output json} lines; a line cut short at the end is skipped. */
        static Log parse(List<String> lines) {
            List<JsonNode> records = new ArrayList<>();
            for (String line : lines) {
                if (line.isBlank()) {
                    continue;
                }
                try {
                    records.add(JSON.readTree(line));
                } catch (IOException partial) {
                    // the consumer was stopped while printing it
                }
            }
            return new Log(records);
        }

        List<JsonNode> records() {
            return records;
        }

        /** Partition → its records in offset order. */
        Map<Integer, List<JsonNode>> byPartition() {
            return byPartition;
        }

        JsonNode at(int partition, long offset) {
            return byOffset.getOrDefault(partition, Map.of()).get(offset);
        }

        /** The records with this value, in consumed order. */
        List<JsonNode> withValue(String value) {
            return byValue.getOrDefault(value, List.of());
        }

        /** Partition → the offset after its last consumed record. */
        Map<Integer, Long> endOffsets() {
            Map<Integer, Long> ends = new TreeMap<>();
            byPartition.forEach((p, rs) -> ends.put(p, rs.get(rs.size() - 1).get("offset").asLong() + 1));
            return ends;
        }
    }
}
