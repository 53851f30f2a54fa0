package io.strata.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Consumer groups under faults, on the local cluster as {@code strata cluster up} starts it by
 * default (three storage nodes, two replication controllers, two groups processes: one active,
 * one hot standby). One topic (six partitions, replication factor 3) gets keyed records from an
 * acks=all idempotent producer at 50 records/s ({@link ProducerDoor}) throughout, and one group
 * processes them into a sink: group members are JVMs of their own ({@link SinkingGroupMember},
 * started with this test's classpath, so {@code kill -9} is real), each appending the records
 * of the partitions it owns to one file per partition and dropping redelivered records with
 * {@code ProcessedOffsets}, seeded from the sink when a partition is assigned.
 *
 * <p>The methods run in order on the one cluster and group, each starting from what the previous
 * one left: three members share the partitions from the beginning of the log; one is killed
 * with {@code kill -9} after its commits stalled (so records it processed are certainly
 * redelivered) and its partitions move to the others after its session timeout; a new member
 * joins while the others keep their partitions and keep processing; the active groups process
 * is killed with {@code kill -9} and the standby takes over without the members noticing. At
 * the end the sink holds every record of the log, each once and in offset order, and so every
 * record the producer was told was written; the members stop with SIGTERM (commit and leave)
 * and the group has committed the log end of every partition.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class GroupsFaultIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOPIC = "orders";
    private static final String GROUP = "sinking";
    private static final int PARTITIONS = 6;
    /**
     * The members' {@code session.timeout.ms}: a killed member's partitions move this long after
     * its last heartbeat. It must outlast a groups failover (the client gives its partitions up
     * after a session without a successful heartbeat): a killed groups process's lease ends with
     * its connection to coordination, and the standby takes over within about a second.
     */
    private static final Duration SESSION = Duration.ofSeconds(6);
    /** The group settles (every member owns its target) within this after a member comes or goes. */
    private static final Duration SETTLE = SESSION.plusSeconds(24);

    private Path work;
    private Path sink;
    private LocalClusterDir cluster;
    private ProducerDoor door;
    private final Timeline timeline = new Timeline();
    private final Map<String, Member> members = new LinkedHashMap<>();
    /** Duplicates the members dropped after the kill of the member whose commits were held. */
    private long duplicatesAfterCrash;

    @BeforeAll
    void up() throws Exception {
        work = Files.createTempDirectory("strata-groups-fault-it");
        sink = Files.createDirectories(work.resolve("sink"));
        cluster = new LocalClusterDir(work.resolve("cluster"));
        Cli.Result up = cluster.cluster("up");
        assertThat(up.exitCode()).as(up.stderr()).isZero();
        Cli.Result created = strata("topic", "create", TOPIC, "--partitions", Integer.toString(PARTITIONS),
                "--replication-factor", "3");
        assertThat(created.exitCode()).as(created.stderr()).isZero();
        door = new ProducerDoor("direct", "d-", work.resolve("door"), cluster.bootstrap(), TOPIC, "direct");
        door.start();
        // A history before the group exists: the members must start from the beginning of the log.
        await("the producer acknowledges records").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                .untilAsserted(() -> assertThat(door.acksSoFar()).hasSizeGreaterThan(100));
        mark("producing");
    }

    @AfterAll
    void down() throws Exception {
        System.out.print("GroupsFaultIT timeline (work dir " + work + "):\n" + timeline);
        if (door != null) {
            door.kill();
        }
        for (Member m : members.values()) {
            m.process.destroyForcibly();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    /**
     * Three members started after 100+ records were written, with {@code auto.offset.reset=earliest}:
     * the group gives each two partitions, each member's own view (its listener's events) is what
     * {@code group describe} shows, and every partition is processed from offset 0 on.
     */
    @Test
    @Order(1)
    void threeMembersShareTheSixPartitionsAndProcessThemFromTheBeginning() throws Exception {
        for (int i = 0; i < 3; i++) {
            startMember();
        }
        Map<String, Set<Integer>> assignments = awaitSettled(members.keySet(), 2);
        mark("three members own two partitions each: " + assignments);
        awaitListenersOwn(assignments);
        await("every partition processed, by each member").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                    Map<Integer, List<SinkingGroupMember.Line>> lines = sinkLines();
                    for (int p = 0; p < PARTITIONS; p++) {
                        assertThat(lines.get(p)).as("sink of partition %d", p).isNotEmpty();
                    }
                    Set<String> processors = lines.values().stream().flatMap(List::stream)
                            .map(SinkingGroupMember.Line::member).collect(Collectors.toSet());
                    assertThat(processors).containsAll(members.keySet());
                });
        assertThat(sinkProblems()).as("the sink").isEmpty();
    }

    /**
     * {@code kill -9} of a member whose commits stalled first: its partitions go to the two
     * others once its session ({@link #SESSION}) lapsed, not before; they restart from its last
     * commit, so the records it processed afterwards come again, and the new owners drop them
     * (seeded from the sink): the sink stays exactly once. The stall makes the redelivery certain:
     * a member that commits after every poll leaves processed records uncommitted only during the
     * few milliseconds of each commit, which a kill at a random moment rarely hits.
     */
    @Test
    @Order(2)
    void aKilledMembersPartitionsMoveAfterItsSessionAndItsRedeliveredRecordsAreDroppedAsDuplicates() throws Exception {
        Member victim = members.get("member-1");
        Set<Integer> victimPartitions = DescribedGroup.of(cluster.bootstrap(), GROUP).assignments(TOPIC).get(victim.name);
        Files.createFile(SinkingGroupMember.holdFile(sink, victim.name));
        AtomicReference<Long> heldAt = new AtomicReference<>();
        await(victim.name + " holds its commits and processes on").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
                    heldAt.set(victim.events().stream().filter(e -> e.kind().equals(SinkingGroupMember.COMMITS_HELD))
                            .map(SinkingGroupMember.Event::atMs).findFirst().orElse(null));
                    assertThat(heldAt.get()).as("commits-held event").isNotNull();
                    assertThat(linesBy(victim.name, victimPartitions, heldAt.get(), Long.MAX_VALUE)).hasSizeGreaterThan(20);
                });
        victim.kill9();
        long killedAt = System.currentTimeMillis();
        long uncommitted = linesBy(victim.name, victimPartitions, heldAt.get(), Long.MAX_VALUE).size();
        mark("kill -9 " + victim.name + " (owns " + victimPartitions + "; " + uncommitted
                + " records processed since its commits stalled)");

        Set<String> survivors = Set.of("member-2", "member-3");
        Map<String, Set<Integer>> after = awaitSettled(survivors, 3);
        double moved = (System.currentTimeMillis() - killedAt) / 1e3;
        mark(String.format("%s's partitions moved after %.1f s: %s", victim.name, moved, after));
        // The coordinator expires the member a session after its last heartbeat (at most ~1 s before the kill).
        assertThat(moved).as("seconds until the killed member's partitions moved (session %s)", SESSION)
                .isGreaterThanOrEqualTo(SESSION.toMillis() / 1e3 - 2);

        await("the new owners drop the " + uncommitted + "+ records " + victim.name + " processed after its last commit")
                .atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                    assertThat(duplicatesSince(survivors, killedAt, victimPartitions)).isGreaterThanOrEqualTo(uncommitted);
                    assertThat(linesBy(survivors, victimPartitions, killedAt, Long.MAX_VALUE)).isNotEmpty();
                });
        duplicatesAfterCrash = duplicatesSince(survivors, killedAt, victimPartitions);
        mark("the new owners dropped " + duplicatesAfterCrash + " redelivered records and process " + victimPartitions);
        assertThat(duplicatesSince(survivors, killedAt, allPartitions()))
                .as("redelivered records outside the killed member's partitions").isEqualTo(duplicatesAfterCrash);
        assertThat(sinkProblems()).as("the sink").isEmpty();
    }

    /**
     * A fourth member joins: it gets two partitions, each taken from one of the two members (the
     * uniform assignor is sticky: nothing moves between those two), a partition a member owns
     * before and after is never revoked in between, and both go on processing the partitions they
     * keep while the group rebalances (cooperatively: no one stops for the newcomer).
     */
    @Test
    @Order(3)
    void aJoiningMemberGetsPartitionsWhileTheOthersKeepTheirsAndKeepProcessing() throws Exception {
        Set<String> survivors = Set.of("member-2", "member-3");
        Map<String, Set<Integer>> before = DescribedGroup.of(cluster.bootstrap(), GROUP).assignments(TOPIC);
        long joinedAt = System.currentTimeMillis();
        Member newcomer = startMember();
        mark("started " + newcomer.name);
        Set<String> names = new TreeSet<>(survivors);
        names.add(newcomer.name);
        Map<String, Set<Integer>> after = awaitSettled(names, 2);
        long settledAt = System.currentTimeMillis();
        mark("settled: " + after);
        awaitListenersOwn(after);
        for (String s : survivors) {
            Set<Integer> kept = new TreeSet<>(before.get(s));
            kept.retainAll(after.get(s));
            assertThat(before.get(s)).as("%s's partitions before %s joined, then after", s, newcomer.name)
                    .containsAll(after.get(s));
            List<SinkingGroupMember.Event> taken = members.get(s).events().stream()
                    .filter(e -> e.atMs() >= joinedAt && (e.kind().equals(SinkingGroupMember.REVOKED)
                            || e.kind().equals(SinkingGroupMember.LOST)))
                    .filter(e -> e.partitions().stream().anyMatch(kept::contains)).toList();
            assertThat(taken).as("%s's revocations of partitions it keeps (%s)", s, kept).isEmpty();
            assertThat(linesBy(s, kept, joinedAt, settledAt)).as("records %s processed from its partitions %s while "
                    + "%s joined", s, kept, newcomer.name).isNotEmpty();
        }
        assertThat(sinkProblems()).as("the sink").isEmpty();
    }

    /**
     * {@code kill -9} of the active groups process (the leader of coordination's election
     * "groups", which is how clients find it too): the standby takes over, and the members go on
     * as if nothing happened: same member ids and partitions, no partition lost, revoked or
     * assigned, processing continues, and no committed offset goes back. The killed process comes
     * back with {@code cluster start} as the standby.
     */
    @Test
    @Order(4)
    void theStandbyGroupsProcessTakesOverFromAKilledActiveOneWithoutTheMembersNoticing() throws Exception {
        int active = cluster.electionLeader("groups", "groups")
                .orElseThrow(() -> new AssertionError("no active groups process"));
        int standby = 3 - active;
        DescribedGroup before = DescribedGroup.of(cluster.bootstrap(), GROUP);
        Map<Integer, Long> committedBefore = before.committed(TOPIC);
        assertThat(committedBefore).as("committed offsets before").hasSize(PARTITIONS);
        Map<String, Integer> lastSent = mark("kill -9 groups-" + active + " (active); committed " + committedBefore);
        long killedAt = System.currentTimeMillis();
        LocalClusterDir.signal(cluster.pid("groups", active), "KILL");
        await("groups-" + active + " gone").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                .until(() -> !cluster.alive("groups", active));
        await("groups-" + standby + " is active").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250))
                .ignoreExceptions().untilAsserted(() ->
                        assertThat(cluster.electionLeader("groups", "groups")).hasValue(standby));
        mark(String.format("groups-%d is active, %.1f s after the kill", standby,
                (System.currentTimeMillis() - killedAt) / 1e3));

        // Processing goes on: every partition's sink reaches a record sent after the kill, and its commit moves on.
        Map<Integer, Long> sentAfter = new TreeMap<>();
        await("records sent after the kill acknowledged in every partition").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                    for (ProducerDoor.Ack a : door.acksSoFar()) {
                        if (a.seq() > lastSent.get(door.name) && a.offset() >= 0) {
                            sentAfter.merge(a.partition(), a.offset(), Math::min);
                        }
                    }
                    assertThat(sentAfter).hasSize(PARTITIONS);
                });
        AtomicReference<DescribedGroup> after = new AtomicReference<>();
        await("the sink and the committed offsets pass " + sentAfter).atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                    Map<Integer, List<SinkingGroupMember.Line>> lines = sinkLines();
                    for (int p = 0; p < PARTITIONS; p++) {
                        assertThat(lines.get(p).getLast().offset()).as("sink of partition %d", p)
                                .isGreaterThanOrEqualTo(sentAfter.get(p));
                    }
                    after.set(DescribedGroup.of(cluster.bootstrap(), GROUP));
                    Map<Integer, Long> committed = after.get().committed(TOPIC);
                    for (int p = 0; p < PARTITIONS; p++) {
                        assertThat(committed.get(p)).as("committed offset of partition %d", p).isGreaterThan(sentAfter.get(p));
                    }
                });
        long commitFailures = 0;
        for (Member m : live()) {
            commitFailures += m.events().stream().filter(e -> e.atMs() >= killedAt
                    && e.kind().equals(SinkingGroupMember.COMMIT_FAILED)).count();
        }
        mark("processed and committed past " + sentAfter + "; committed " + after.get().committed(TOPIC) + "; "
                + commitFailures + " commits failed meanwhile");
        Map<Integer, Long> committedAfter = after.get().committed(TOPIC);
        committedBefore.forEach((p, c) -> assertThat(committedAfter.get(p)).as("committed offset of partition %d after the "
                + "take-over (before: %d)", p, c).isGreaterThanOrEqualTo(c));
        Map<String, String> idsBefore = new TreeMap<>();
        before.membersByClientId().forEach((c, m) -> idsBefore.put(c, m.get("memberId").asText()));
        Map<String, String> idsAfter = new TreeMap<>();
        after.get().membersByClientId().forEach((c, m) -> idsAfter.put(c, m.get("memberId").asText()));
        assertThat(idsAfter).as("member ids (a rejoin gets a new one)").isEqualTo(idsBefore);
        assertThat(after.get().assignments(TOPIC)).as("assignments").isEqualTo(before.assignments(TOPIC));
        for (Member m : live()) {
            assertThat(m.events().stream().filter(e -> e.atMs() >= killedAt).map(SinkingGroupMember.Event::kind))
                    .as("%s's partition events since the kill", m.name)
                    .doesNotContain(SinkingGroupMember.LOST, SinkingGroupMember.REVOKED, SinkingGroupMember.ASSIGNED);
        }

        Cli.Result start = cluster.cluster("start", "groups-" + active);
        assertThat(start.exitCode()).as(start.stderr()).isZero();
        mark("cluster start groups-" + active + " returned");
        assertThat(cluster.electionLeader("groups", "groups")).as("the active groups process")
                .hasValue(standby);
        assertThat(sinkProblems()).as("the sink").isEmpty();
    }

    /**
     * The producer stops; the members catch up with the log, which holds every acknowledged
     * record once ({@link HistoryChecker}); the sink holds each record of the log exactly once,
     * in offset order from 0 to the log end, with the log's key and value. SIGTERM: every member
     * commits, leaves and exits 0, and {@code group describe} shows an empty group whose committed
     * offsets are the log end offsets (lag 0 everywhere).
     */
    @Test
    @Order(5)
    void theSinkHoldsEveryAcknowledgedRecordExactlyOnceAndTheGroupCommittedTheLogEnd() throws Exception {
        door.stopFeeding();
        door.awaitExit();
        mark("stdin closed, the producer exited");
        HistoryChecker.Log log = HistoryChecker.Log.consume(cluster.bootstrap(), TOPIC, 5000);
        Map<Integer, Long> ends = log.endOffsets();
        assertThat(ends).as("log end offsets").hasSize(PARTITIONS);
        await("the members processed up to the log end " + ends).atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                    Map<Integer, List<SinkingGroupMember.Line>> lines = sinkLines();
                    for (int p = 0; p < PARTITIONS; p++) {
                        assertThat(lines.get(p)).as("sink of partition %d", p).hasSizeGreaterThanOrEqualTo(ends.get(p).intValue());
                    }
                });
        mark("the sink reached the log end " + ends);

        HistoryChecker.Verdict verdict = HistoryChecker.check(List.of(door), log);
        List<String> problems = new ArrayList<>(verdict.problems());
        ProducerDoor.Outcome outcome = verdict.outcomes().get(door.name);
        if (!outcome.failed.isEmpty()) {
            problems.add("the producer failed " + outcome.failed.size() + " records, e.g. "
                    + HistoryChecker.first(outcome.failed.entrySet(), 5));
        }
        problems.addAll(sinkAgainst(log, outcome));

        for (Member m : live()) {
            int exit = m.terminate();
            problems.addAll(exit == 0 ? List.of() : List.of(m.name + " exited " + exit + " on SIGTERM; see " + m.err));
            if (m.events().stream().noneMatch(e -> e.kind().equals(SinkingGroupMember.CLOSED))) {
                problems.add(m.name + " did not close its consumer on SIGTERM; see " + m.err);
            }
        }
        mark("SIGTERM to every member: all exited");
        DescribedGroup described = DescribedGroup.of(cluster.bootstrap(), GROUP);
        assertThat(described.doc().get("members")).as("members after SIGTERM: %s", described).isEmpty();
        Map<Integer, JsonNode> partitions = described.partitions(TOPIC);
        assertThat(partitions.keySet()).as("partitions described").containsExactlyElementsOf(ends.keySet());
        partitions.forEach((p, n) -> {
            assertThat(n.get("logEndOffset").asLong()).as("log end offset of partition %d", p).isEqualTo(ends.get(p));
            assertThat(n.get("committed").asLong()).as("committed offset of partition %d", p).isEqualTo(ends.get(p));
            assertThat(n.get("lag").asLong()).as("lag of partition %d", p).isZero();
        });
        assertThat(described.doc().get("totalLag").asLong()).isZero();

        String report = verdict.report() + summary();
        System.out.print(report);
        assertThat(problems).as("%s%d problems (first 40 shown):%n  %s", report, problems.size(),
                String.join("\n  ", problems.subList(0, Math.min(40, problems.size())))).isEmpty();
    }

    // ---------------------------------------------------------------------------------------------
    // The sink

    /** Partition → its sink lines, in file order. */
    private Map<Integer, List<SinkingGroupMember.Line>> sinkLines() throws IOException {
        Map<Integer, List<SinkingGroupMember.Line>> out = new TreeMap<>();
        for (int p = 0; p < PARTITIONS; p++) {
            out.put(p, SinkingGroupMember.read(sink, p));
        }
        return out;
    }

    /** What breaks "each record once, in order, from offset 0" in the sink so far. */
    private List<String> sinkProblems() throws IOException {
        List<String> problems = new ArrayList<>();
        sinkLines().forEach((p, lines) -> {
            long expected = 0;
            for (SinkingGroupMember.Line l : lines) {
                if (l.offset() != expected) {
                    problems.add("partition " + p + ": " + l.member() + " processed offset " + l.offset() + " after offset "
                            + (expected - 1) + (l.offset() < expected ? " (twice)" : " (a gap)"));
                }
                expected = l.offset() + 1;
            }
        });
        return problems;
    }

    /**
     * The sink against the log read back: each partition's lines are the log's records from
     * offset 0 to its end, once each and in order, with the log's key and value, and every
     * acknowledged record is among them.
     */
    private List<String> sinkAgainst(HistoryChecker.Log log, ProducerDoor.Outcome outcome) throws IOException {
        List<String> problems = new ArrayList<>(sinkProblems());
        Map<Integer, List<SinkingGroupMember.Line>> lines = sinkLines();
        List<JsonNode> processed = new ArrayList<>();
        Map<String, Integer> valueCount = new HashMap<>();
        Map<String, Integer> partitionOfKey = new HashMap<>();
        lines.forEach((p, ls) -> {
            for (SinkingGroupMember.Line l : ls) {
                ObjectNode n = JSON.createObjectNode();
                n.put("partition", p);
                n.put("offset", l.offset());
                n.put("value", l.value());
                processed.add(n);
                JsonNode inLog = log.at(p, l.offset());
                if (inLog != null && !inLog.get("key").asText().equals(l.key())) {
                    problems.add("partition " + p + " offset " + l.offset() + ": the sink has key " + l.key()
                            + ", the log " + inLog.get("key").asText());
                }
                valueCount.merge(l.value(), 1, Integer::sum);
                Integer other = partitionOfKey.putIfAbsent(l.key(), p);
                if (other != null && other != p) {
                    problems.add("key " + l.key() + " processed from partitions " + other + " and " + p);
                }
            }
            long end = log.endOffsets().getOrDefault(p, 0L);
            if (ls.size() != end) {
                problems.add("partition " + p + ": the sink has " + ls.size() + " records, the log " + end);
            }
        });
        HistoryChecker.checkConsumed("the sink", processed, log, problems);
        for (ProducerDoor.Ack a : outcome.acks.values()) {
            int times = valueCount.getOrDefault(a.value(), 0);
            if (times != 1) {
                problems.add("acknowledged " + a.value() + " (partition " + a.partition() + " offset " + a.offset()
                        + ") is in the sink " + times + " times");
            }
        }
        return problems;
    }

    /** The lines {@code member} appended to these partitions' sinks with a time in [fromMs, toMs]. */
    private List<SinkingGroupMember.Line> linesBy(String member, Set<Integer> partitions, long fromMs, long toMs)
            throws IOException {
        return linesBy(Set.of(member), partitions, fromMs, toMs);
    }

    private List<SinkingGroupMember.Line> linesBy(Set<String> processors, Set<Integer> partitions, long fromMs, long toMs)
            throws IOException {
        List<SinkingGroupMember.Line> out = new ArrayList<>();
        for (int p : partitions) {
            for (SinkingGroupMember.Line l : SinkingGroupMember.read(sink, p)) {
                if (processors.contains(l.member()) && l.atMs() >= fromMs && l.atMs() <= toMs) {
                    out.add(l);
                }
            }
        }
        return out;
    }

    /** Redelivered records these members dropped since {@code fromMs}, in these partitions. */
    private long duplicatesSince(Set<String> names, long fromMs, Set<Integer> partitions) throws IOException {
        long n = 0;
        for (String name : names) {
            n += members.get(name).events().stream().filter(e -> e.kind().equals(SinkingGroupMember.DUPLICATE)
                    && e.atMs() >= fromMs && partitions.containsAll(e.partitions())).count();
        }
        return n;
    }

    private String summary() throws IOException {
        StringBuilder s = new StringBuilder("sink: ");
        Map<String, Long> byMember = new TreeMap<>();
        sinkLines().values().forEach(ls -> ls.forEach(l -> byMember.merge(l.member(), 1L, Long::sum)));
        s.append(byMember).append(" records processed; redelivered records dropped after the member crash: ")
                .append(duplicatesAfterCrash).append('\n');
        return s.toString();
    }

    private static Set<Integer> allPartitions() {
        Set<Integer> all = new TreeSet<>();
        for (int p = 0; p < PARTITIONS; p++) {
            all.add(p);
        }
        return all;
    }

    // ---------------------------------------------------------------------------------------------
    // The group and its members

    /**
     * Waits until the group's members are exactly {@code names} (client ids), each owning
     * {@code each} partitions, all partitions owned, nothing being moved; returns the assignments.
     */
    private Map<String, Set<Integer>> awaitSettled(Set<String> names, int each) {
        AtomicReference<Map<String, Set<Integer>>> settled = new AtomicReference<>();
        await("group " + GROUP + " settled with " + names + ", " + each + " partitions each").atMost(SETTLE)
                .pollInterval(Duration.ofMillis(500)).failFast(() -> {
                    for (String name : names) {
                        Member m = members.get(name);
                        assertThat(m.process.isAlive()).as("%s runs; its stderr (%s) ends: %s", name, m.err, m.stderrTail())
                                .isTrue();
                    }
                }).untilAsserted(() -> {
                    DescribedGroup d = DescribedGroup.of(cluster.bootstrap(), GROUP);
                    Map<String, Set<Integer>> assignments = d.assignments(TOPIC);
                    assertThat(assignments.keySet()).as("members: %s", d).isEqualTo(names);
                    assertThat(d.settled(TOPIC)).as("settled: %s", d).isTrue();
                    assertThat(assignments.values()).as("assignments").allSatisfy(a -> assertThat(a).hasSize(each));
                    Set<Integer> owned = new HashSet<>();
                    assignments.values().forEach(owned::addAll);
                    assertThat(owned).isEqualTo(allPartitions());
                    settled.set(assignments);
                });
        return settled.get();
    }

    /** Waits until each member's listener was given what the group assigned it (it tells the group right after). */
    private void awaitListenersOwn(Map<String, Set<Integer>> assignments) {
        await("the members' listeners own " + assignments).atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(200)).untilAsserted(() -> assignments.forEach((name, partitions) -> {
                    try {
                        assertThat(members.get(name).ownedByEvents()).as("what %s's listener was given", name)
                                .isEqualTo(partitions);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }));
    }

    private Member startMember() throws IOException {
        Member m = new Member("member-" + (members.size() + 1));
        members.put(m.name, m);
        return m;
    }

    private List<Member> live() {
        return members.values().stream().filter(m -> m.process.isAlive()).toList();
    }

    /** A {@link SinkingGroupMember} JVM. */
    private final class Member {
        final String name;
        final Process process;
        final Path err;

        Member(String name) throws IOException {
            this.name = name;
            Path dir = Files.createDirectories(work.resolve("members"));
            this.err = dir.resolve(name + ".err");
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            this.process = new ProcessBuilder(java, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx256m",
                    "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                    "-cp", System.getProperty("java.class.path"), SinkingGroupMember.class.getName(), cluster.bootstrap(), TOPIC, GROUP, sink.toString(), name,
                    Long.toString(SESSION.toMillis()))
                    .redirectOutput(dir.resolve(name + ".out").toFile()).redirectError(err.toFile()).start();
        }

        List<SinkingGroupMember.Event> events() throws IOException {
            return SinkingGroupMember.events(sink, name);
        }

        /** The partitions its listener holds now: assigned, minus revoked or lost since. */
        Set<Integer> ownedByEvents() throws IOException {
            Set<Integer> owned = new TreeSet<>();
            for (SinkingGroupMember.Event e : events()) {
                switch (e.kind()) {
                    case SinkingGroupMember.ASSIGNED -> owned.addAll(e.partitions());
                    case SinkingGroupMember.REVOKED, SinkingGroupMember.LOST -> owned.removeAll(e.partitions());
                    default -> {
                    }
                }
            }
            return owned;
        }

        /** The last lines of its stderr, without the JVM's warnings and stack frames. */
        String stderrTail() throws IOException {
            List<String> lines = Files.readAllLines(err).stream().filter(l -> !l.startsWith("WARNING:")
                    && !l.startsWith("\tat ") && !l.startsWith("\t...")).toList();
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 4), lines.size()));
        }

        void kill9() throws Exception {
            LocalClusterDir.signal(process.pid(), "KILL");
            assertThat(process.waitFor(10, TimeUnit.SECONDS)).as("%s gone after kill -9", name).isTrue();
        }

        /** SIGTERM; returns the exit code (SIGKILL and -1 if it is still running 30 s later). */
        int terminate() throws Exception {
            LocalClusterDir.signal(process.pid(), "TERM");
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return -1;
            }
            return process.exitValue();
        }
    }

    // ---------------------------------------------------------------------------------------------

    private Map<String, Integer> mark(String event) {
        return timeline.mark(event, List.of(door));
    }

    private Cli.Result strata(String... args) throws Exception {
        return Cli.runWithBootstrapEnv(cluster.bootstrap(), null, args);
    }
}
