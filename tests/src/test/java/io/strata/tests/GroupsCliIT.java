package io.strata.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The CLI contract of consumer groups against a real standalone process: {@code strata consume
 * --group} commits exactly what it printed (after {@code --max-messages}, {@code --timeout-ms} and
 * SIGTERM alike, each exiting 0) and the next run continues right after it; {@code group list},
 * {@code group describe} and their JSON shapes; {@code group reset-offsets} as a dry run, executed,
 * and refused while a member runs; {@code group delete}; unknown groups answered with their reason
 * and exit 1. Each test has its own topic and group.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class GroupsCliIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static Path work;
    private static StandaloneProcess server;

    @BeforeAll
    static void startServer() throws Exception {
        work = Files.createTempDirectory("strata-groups-cli-it");
        server = StandaloneProcess.start(work.resolve("data"), StrataHome.freePort(), work.resolve("standalone.log"));
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void consumeWithAGroupCommitsWhatItPrintedAndTheNextRunContinuesRightAfterIt() throws Exception {
        String topic = "g-orders";
        createTopic(topic, 3);
        produce(topic, 30);

        Cli.Result first = strata(null, "consume", topic, "--group", "billing", "--from-beginning", "--max-messages", "10",
                "--output", "json");
        assertThat(first.exitCode()).as(first.stderr()).isZero();
        List<JsonNode> printedFirst = parse(first);
        assertThat(printedFirst).hasSize(10);
        assertThat(describe("billing").committed(topic)).as("committed after the first run")
                .isEqualTo(nextOffsets(printedFirst));

        Cli.Result second = strata(null, "consume", topic, "--group", "billing", "--from-beginning", "--timeout-ms", "3000",
                "--output", "json");
        assertThat(second.exitCode()).as("--timeout-ms ends the run with exit 0: %s", second.stderr()).isZero();
        List<JsonNode> printedSecond = parse(second);
        Set<String> places = new HashSet<>();
        List<String> twice = new ArrayList<>();
        for (JsonNode r : concat(printedFirst, printedSecond)) {
            if (!places.add(place(r))) {
                twice.add(place(r));
            }
        }
        assertThat(twice).as("records printed by both runs").isEmpty();
        assertThat(places).as("records printed by the two runs").hasSize(30);

        DescribedGroup described = describe("billing");
        Map<Integer, JsonNode> partitions = described.partitions(topic);
        assertThat(partitions).hasSize(3);
        Map<Integer, Long> ends = nextOffsets(concat(printedFirst, printedSecond));
        partitions.forEach((p, n) -> {
            assertThat(n.fieldNames()).toIterable().contains("topic", "partition", "committed", "logEndOffset", "lag", "member");
            assertThat(n.get("topic").asText()).isEqualTo(topic);
            assertThat(n.get("committed").asLong()).as("committed of partition %d", p).isEqualTo(ends.get(p));
            assertThat(n.get("logEndOffset").asLong()).as("log end of partition %d", p).isEqualTo(ends.get(p));
            assertThat(n.get("lag").asLong()).as("lag of partition %d", p).isZero();
            assertThat(n.get("member").isNull()).as("member of partition %d (nobody consumes)", p).isTrue();
        });
        assertThat(described.doc().get("members")).isEmpty();

        Cli.Result list = strata(null, "group", "list", "--output", "json");
        assertThat(list.exitCode()).as(list.stderr()).isZero();
        assertThat(JSON.readTree(list.stdout()).get("groups").findValuesAsText("groupId")).contains("billing");
    }

    @Test
    void resetOffsetsChangesNothingWithoutExecuteAndMovesTheCommittedOffsetsToTheLogStartWithIt() throws Exception {
        String topic = "g-replay";
        createTopic(topic, 2);
        produce(topic, 12);
        Cli.Result consumed = strata(null, "consume", topic, "--group", "replay", "--from-beginning", "--timeout-ms", "2000");
        assertThat(consumed.exitCode()).as(consumed.stderr()).isZero();
        assertThat(consumed.stdoutLines()).hasSize(12);
        Map<Integer, Long> before = describe("replay").committed(topic);
        assertThat(before.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(12);

        Cli.Result dryRun = strata(null, "group", "reset-offsets", "replay", "--topic", topic, "--to-earliest");
        assertThat(dryRun.exitCode()).as(dryRun.stderr()).isZero();
        assertThat(dryRun.stderr()).contains("Dry run");
        assertThat(describe("replay").committed(topic)).as("committed after the dry run").isEqualTo(before);

        Cli.Result executed = strata(null, "group", "reset-offsets", "replay", "--topic", topic, "--to-earliest", "--execute");
        assertThat(executed.exitCode()).as(executed.stderr()).isZero();
        DescribedGroup after = describe("replay");
        after.partitions(topic).forEach((p, n) -> {
            assertThat(n.get("committed").asLong()).as("committed of partition %d (the log starts at 0)", p).isZero();
            assertThat(n.get("lag").asLong()).as("lag of partition %d", p).isEqualTo(before.get(p));
        });
        assertThat(after.partitions(topic).keySet()).isEqualTo(before.keySet());
    }

    /**
     * While a {@code consume --group} process runs, a reset is refused (GROUP_NOT_EMPTY, exit 1)
     * and describe names the member on each partition; SIGTERM ends the process with exit 0 and
     * what it printed is committed, one past the last printed offset of each partition.
     */
    @Test
    void aRunningGroupConsumerBlocksResetsAndOnSigtermExitsZeroWithWhatItPrintedCommitted() throws Exception {
        String topic = "g-live";
        createTopic(topic, 3);
        produce(topic, 15);
        ConsumerTail member = ConsumerTail.inGroup("live", work.resolve("live"), server.bootstrap(), topic, "live");
        int exit;
        try {
            await("the consumer owns every partition and printed the 15 records").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(500))
                    .failFast(() -> assertThat(member.alive()).as("the consumer runs; its stderr: %s", member.stderr()).isTrue())
                    .untilAsserted(() -> {
                        DescribedGroup d = describe("live");
                        assertThat(d.doc().get("members")).hasSize(1);
                        String id = d.doc().get("members").get(0).get("memberId").asText();
                        assertThat(d.memberAssignments(topic)).containsExactly(Set.of(0, 1, 2));
                        assertThat(d.partitions(topic).values()).extracting(n -> n.get("member").asText()).containsOnly(id);
                        assertThat(member.records()).hasSize(15);
                    });
            Cli.Result refused = strata(null, "group", "reset-offsets", "live", "--topic", topic, "--to-earliest", "--execute");
            assertThat(refused.exitCode()).isEqualTo(1);
            assertThat(refused.stderr()).contains("GROUP_NOT_EMPTY");

            // More records, printed just before the SIGTERM: the exit path commits them.
            produce(topic, 9);
            await("the consumer printed the 9 new records").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                    .untilAsserted(() -> assertThat(member.records()).hasSize(24));
        } finally {
            exit = member.stop();
        }
        assertThat(exit).as("exit code on SIGTERM; stderr: %s", member.stderr()).isZero();
        List<JsonNode> printed = member.records();
        DescribedGroup d = describe("live");
        assertThat(d.doc().get("members")).as("members after SIGTERM").isEmpty();
        assertThat(d.committed(topic)).as("committed offsets after SIGTERM").isEqualTo(nextOffsets(printed));
    }

    /**
     * Three {@code consume --group} processes started together share the partitions (two each),
     * keep running, and print every record once between them; SIGTERM ends each with exit 0 and
     * the group has committed the log end.
     */
    @Test
    void threeGroupConsumersStartedTogetherShareThePartitionsAndPrintEachRecordOnce() throws Exception {
        String topic = "g-shared";
        createTopic(topic, 6);
        produce(topic, 60);
        List<ConsumerTail> tails = new ArrayList<>();
        Map<String, Integer> exits = new TreeMap<>();
        try {
            for (int i = 1; i <= 3; i++) {
                tails.add(ConsumerTail.inGroup("shared-" + i, work.resolve("shared"), server.bootstrap(), topic, "shared"));
            }
            await("three members with two partitions each, all 60 records printed").atMost(Duration.ofSeconds(45))
                    .pollInterval(Duration.ofMillis(500)).failFast(() -> {
                        for (ConsumerTail t : tails) {
                            assertThat(t.alive()).as("%s runs; its stderr: %s", t.name, t.stderr()).isTrue();
                        }
                    }).untilAsserted(() -> {
                        DescribedGroup d = describe("shared");
                        assertThat(d.settled(topic)).as("settled: %s", d).isTrue();
                        assertThat(d.memberAssignments(topic)).as("assignments").hasSize(3)
                                .allSatisfy(a -> assertThat(a).hasSize(2));
                        int printedSoFar = 0;
                        for (ConsumerTail t : tails) {
                            printedSoFar += t.records().size();
                        }
                        assertThat(printedSoFar).as("records printed").isGreaterThanOrEqualTo(60);
                    });
        } finally {
            for (ConsumerTail t : tails) {
                exits.put(t.name, t.stop());
            }
        }
        for (ConsumerTail t : tails) {
            assertThat(exits.get(t.name)).as("%s's exit code on SIGTERM; stderr: %s", t.name, t.stderr()).isZero();
        }
        List<JsonNode> printed = new ArrayList<>();
        for (ConsumerTail t : tails) {
            printed.addAll(t.records());
        }
        assertThat(printed.stream().map(GroupsCliIT::place).toList()).as("records printed").hasSize(60).doesNotHaveDuplicates();
        assertThat(describe("shared").committed(topic)).as("committed offsets").isEqualTo(nextOffsets(printed));
    }

    @Test
    void deleteForgetsTheGroupAndUnknownGroupsAreRefusedWithTheirReason() throws Exception {
        String topic = "g-gone";
        createTopic(topic, 1);
        produce(topic, 3);
        Cli.Result consumed = strata(null, "consume", topic, "--group", "gone", "--from-beginning", "--max-messages", "3");
        assertThat(consumed.exitCode()).as(consumed.stderr()).isZero();
        assertThat(describe("gone").committed(topic)).containsEntry(0, 3L);

        Cli.Result deleted = strata(null, "group", "delete", "gone");
        assertThat(deleted.exitCode()).as(deleted.stderr()).isZero();
        Cli.Result described = strata(null, "group", "describe", "gone", "--output", "json");
        assertThat(described.exitCode()).isEqualTo(1);
        assertThat(described.stderr()).contains("UNKNOWN_GROUP");
        Cli.Result list = strata(null, "group", "list", "--output", "json");
        assertThat(JSON.readTree(list.stdout()).get("groups").findValuesAsText("groupId")).doesNotContain("gone");

        Cli.Result unknown = strata(null, "group", "describe", "no-such-group");
        assertThat(unknown.exitCode()).isEqualTo(1);
        assertThat(unknown.stderr()).contains("UNKNOWN_GROUP");
    }

    // ---------------------------------------------------------------------------------------------

    private static Cli.Result strata(String stdin, String... args) throws Exception {
        return Cli.runWithBootstrapEnv(server.bootstrap(), stdin, args);
    }

    private static DescribedGroup describe(String group) throws Exception {
        return DescribedGroup.of(server.bootstrap(), group);
    }

    private static void createTopic(String topic, int partitions) throws Exception {
        Cli.Result created = strata(null, "topic", "create", topic, "--partitions", Integer.toString(partitions));
        assertThat(created.exitCode()).as(created.stderr()).isZero();
    }

    /** Produces {@code records} records over a few keys, each value unique. */
    private static void produce(String topic, int records) throws Exception {
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < records; i++) {
            lines.append("k").append(i % 7).append(':').append(topic).append('-').append(System.nanoTime()).append('\n');
        }
        Cli.Result produced = strata(lines.toString(), "produce", topic, "--key-separator", ":");
        assertThat(produced.exitCode()).as(produced.stderr()).isZero();
    }

    private static List<JsonNode> parse(Cli.Result r) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : r.stdoutLines()) {
            out.add(JSON.readTree(line));
        }
        return out;
    }

    private static List<JsonNode> concat(List<JsonNode> a, List<JsonNode> b) {
        List<JsonNode> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    private static String place(JsonNode r) {
        return r.get("partition").asInt() + "@" + r.get("offset").asLong();
    }

    /** Partition → one past the last offset printed from it. */
    private static Map<Integer, Long> nextOffsets(List<JsonNode> printed) {
        Map<Integer, Long> next = new TreeMap<>();
        for (JsonNode r : printed) {
            next.merge(r.get("partition").asInt(), r.get("offset").asLong() + 1, Math::max);
        }
        return next;
    }
}
