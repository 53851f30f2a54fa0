package io.strata.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strata.client.StrataException;
import io.strata.client.TopicPartition;
import io.strata.client.admin.GroupDescription;
import io.strata.client.admin.GroupListing;
import io.strata.client.admin.NewTopic;
import io.strata.client.admin.StrataAdmin;
import io.strata.client.consumer.ConsumerConfig;
import io.strata.proto.v1.ErrorCode;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The consumer-groups issue's rebalance target, on a running server ({@code --bootstrap}: a
 * standalone or a local cluster): how long a group of 100 members over 1,000 partitions takes to
 * settle when a member joins or leaves, whether the members whose partitions do not move keep
 * consuming meanwhile, and how many partitions move.
 *
 * <p>Set-up: a topic of {@code --partitions} partitions (created, or reused with the partitions it
 * has), a {@link SteadyProducer} writing {@code --rate} records/s round robin over all of them,
 * {@code --members} {@link RebalanceMember}s (each a {@code StrataConsumer} on its own thread in this
 * JVM; group {@code --group}, auto-commit on so that a moved partition continues where its previous
 * owner was, {@code auto.offset.reset=latest}), formed until the group is settled (below).
 * Then {@code --rounds} changes, alternately adding a member (odd rounds) and removing the one added
 * (even rounds). Each round:
 * <ol>
 *   <li>baseline: every member's longest gap between two polls that returned records over
 *       {@code --baseline-ms} (the normal gap);</li>
 *   <li>t0: the new member's {@code subscribe()} (add), or the leaving member's {@code close()}
 *       (remove);</li>
 *   <li>settled, checked every {@code --check-ms}: ListGroups shows the group {@code stable} (every
 *       member at the assignment epoch, nothing pending) with the expected member count; every
 *       partition owned by exactly one running member as their listeners report; and (add) the new
 *       member owns at least ⌊partitions / members⌋ partitions and has received a record. Settle time
 *       = the first check that passes − t0 (target < 2 s);</li>
 *   <li>measured after: partitions moved (owner before ≠ owner after), the members whose assignment
 *       did not change (same partitions, no listener call) and their longest gap in the window t0 →
 *       settled (they must keep consuming), when every moved partition delivered its first record to
 *       its new owner (bounded by the per-partition rate, so reported, not part of the settle time),
 *       and a DescribeGroup cross-check (every member at the group epoch with assignment = target).</li>
 * </ol>
 * Prints one line per round, a table (p50 / max per kind of change), resource use, and one
 * {@code RESULT {json}} line per round and per kind. Usage: {@code RebalanceBench --bootstrap HOST:PORT
 * [options]} ({@code --help}).
 */
public final class RebalanceBench {

    static final String USAGE = """
            Usage: RebalanceBench --bootstrap HOST:PORT [options]
              --bootstrap HOST:PORT      a running standalone or cluster (required)
              --topic NAME               topic (created if missing; default rebalance-bench)
              --partitions N             its partitions when created (default 1000)
              --members N                members before the first change (default 100)
              --rounds N                 changes: odd rounds add a member, even rounds remove it (default 10)
              --rate N                   records/s the background producer writes over all partitions (default 2000)
              --record-size BYTES        value size (default 100)
              --group NAME               group id (default rebalance-bench-<epoch ms>: a fresh group)
              --baseline-ms MS           window for the normal gap before each change (default 3000)
              --pause-ms MS              wait between rounds (default 2000)
              --check-ms MS              how often settling is checked (default 10)
              --poll-ms MS               each member's poll timeout (default 100)
              --target-ms MS             the settle target (default 2000)
              --form-timeout-ms MS       the initial group must settle within MS (default 180000)
              --settle-timeout-ms MS     a change must settle within MS (default 60000)
              --join-interval-ms MS      start the initial members this far apart (default 20)
              --consumer-props K=V,...   extra consumer configs for every member
              --producer-props K=V,...   extra configs for the background producer
              --help                     this text
            """;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> OPTIONS = Set.of("bootstrap", "topic", "partitions", "members", "rounds", "rate",
            "record-size", "group", "baseline-ms", "pause-ms", "check-ms", "poll-ms", "target-ms", "form-timeout-ms",
            "settle-timeout-ms", "join-interval-ms", "consumer-props", "producer-props");

    /** The command line. */
    record Options(String bootstrap, String topic, int partitions, int members, int rounds, long rate, int recordSize,
                   String group, long baselineMs, long pauseMs, long checkMs, long pollMs, long targetMs, long formTimeoutMs,
                   long settleTimeoutMs, long joinIntervalMs, Map<String, String> consumerProps,
                   Map<String, String> producerProps) {

        static Options parse(String... args) {
            BenchArgs a = BenchArgs.parse(OPTIONS, args);
            return new Options(a.required("bootstrap"), a.string("topic", "rebalance-bench"),
                    (int) a.number("partitions", 1000, 1, 100_000), (int) a.number("members", 100, 1, 10_000),
                    (int) a.number("rounds", 10, 0, 10_000), a.number("rate", 2000, 1, 10_000_000),
                    (int) a.number("record-size", 100, 0, 1 << 20),
                    a.string("group", "rebalance-bench-" + System.currentTimeMillis()),
                    a.number("baseline-ms", 3000, 1, 600_000), a.number("pause-ms", 2000, 0, 600_000),
                    a.number("check-ms", 10, 1, 10_000), a.number("poll-ms", 100, 1, 60_000),
                    a.number("target-ms", 2000, 1, 600_000), a.number("form-timeout-ms", 180_000, 1, 3_600_000),
                    a.number("settle-timeout-ms", 60_000, 1, 3_600_000), a.number("join-interval-ms", 20, 0, 60_000),
                    a.pairs("consumer-props"), a.pairs("producer-props"));
        }
    }

    /** What settling looked like at one check. */
    record Check(boolean settled, String state, int members, int owned, int unowned, int doublyOwned, String why) {
    }

    /**
     * One change. Times in ms after t0 (-1: not seen).
     *
     * @param settleMs        the first check that found the group settled
     * @param assignedMs      (add) the new member's first assignment with partitions
     * @param firstRecordMs   (add) its first record
     * @param allMovedMs      every moved partition delivered a record to its new owner
     * @param leaveMs         (remove) how long the leaving member's close() took
     * @param moved           partitions whose owner changed
     * @param affected        members whose partitions changed (listener calls), besides the one joining/leaving
     * @param unchanged       members whose assignment did not change
     * @param unchangedMaxGapMs the longest gap between records of an unchanged member in t0 → settled
     * @param normalGapP50Ms  median over the unchanged members of their longest gap in the baseline window
     * @param normalGapMaxMs  the longest of those
     * @param describeOk      DescribeGroup after settling: stable, every member at the group epoch, assignment = target
     */
    record Round(int round, boolean add, int membersAfter, double settleMs, double assignedMs, double firstRecordMs,
                 double allMovedMs, double leaveMs, int moved, int affected, int unchanged, double unchangedMaxGapMs,
                 double normalGapP50Ms, double normalGapMaxMs, boolean describeOk, String note) {
    }

    private final Options options;
    private final StrataAdmin admin;
    private final List<RebalanceMember> members = new ArrayList<>();
    private final List<Round> rounds = new ArrayList<>();
    private int partitions;
    private int nextId = 1;

    private RebalanceBench(Options options, StrataAdmin admin) {
        this.options = options;
        this.admin = admin;
    }

    public static void main(String[] args) throws Exception {
        Options options = BenchArgs.parseOrExit(args, USAGE, Options::parse);
        if (options == null) {
            return;
        }
        int code = 0;
        try (StrataAdmin admin = StrataAdmin.forBootstrap(options.bootstrap())) {
            code = new RebalanceBench(options, admin).run();
        } catch (IllegalStateException | StrataException e) {
            System.err.println("Error: " + e.getMessage());
            code = 1;
        }
        System.exit(code);
    }

    private int run() throws Exception {
        partitions = topic();
        System.out.printf(Locale.ROOT, "bootstrap %s, topic %s (%d partitions), group %s, %d members, %d rounds, producer %d records/s"
                        + " (%.1f per partition per s), %d-byte records; %d cores, load average %s%n", options.bootstrap(),
                options.topic(), partitions, options.group(), options.members(), options.rounds(), options.rate(),
                (double) options.rate() / partitions, options.recordSize(), Runtime.getRuntime().availableProcessors(), loadAverage());
        try (SteadyProducer producer = new SteadyProducer(options.bootstrap(), options.topic(), partitions, options.rate(),
                options.recordSize(), options.producerProps()).start()) {
            try {
                form();
                System.out.println("resources after forming: " + resources());
                Thread.sleep(options.pauseMs());
                for (int r = 1; r <= options.rounds(); r++) {
                    Round round = r % 2 == 1 ? add(r) : remove(r);
                    rounds.add(round);
                    System.out.println(line(round));
                    Thread.sleep(options.pauseMs());
                }
            } finally {
                System.out.printf("producer: %d sent, %d acknowledged, %d failed (last error: %s)%n", producer.sent(),
                        producer.acked(), producer.failed(), producer.lastError());
                stopAll();
            }
        }
        return report();
    }

    // --- set-up ------------------------------------------------------------------------------------

    /** Creates the topic, or reuses it; returns its partition count. */
    private int topic() {
        try {
            admin.createTopic(new NewTopic(options.topic(), options.partitions(), 1));
            System.out.printf("created topic %s with %d partitions%n", options.topic(), options.partitions());
        } catch (StrataException e) {
            if (e.reason() != ErrorCode.TOPIC_ALREADY_EXISTS) {
                throw e;
            }
        }
        int count = admin.describeTopic(options.topic()).partitions().size();
        if (count != options.partitions()) {
            System.out.printf("topic %s exists with %d partitions; using it as it is%n", options.topic(), count);
        }
        return count;
    }

    private Map<String, Object> memberConfig(int id) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("bootstrap.servers", options.bootstrap());
        config.put("client.id", "rebalance-bench-" + id);
        config.put(ConsumerConfig.GROUP_ID, options.group());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET, "latest");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT, "true");
        config.putAll(options.consumerProps());
        return config;
    }

    private RebalanceMember newMember() {
        int id = nextId++;
        RebalanceMember m = new RebalanceMember(id, memberConfig(id), options.topic(), options.pollMs());
        members.add(m);
        return m.start();
    }

    private void form() throws Exception {
        long t0 = System.nanoTime();
        for (int i = 0; i < options.members(); i++) {
            newMember();
            if (options.joinIntervalMs() > 0) {
                Thread.sleep(options.joinIntervalMs());
            }
        }
        Check last = awaitSettled(t0, options.formTimeoutMs(), null);
        if (!last.settled()) {
            throw new IllegalStateException("the group of " + options.members() + " members did not settle within "
                    + options.formTimeoutMs() + " ms: " + last + "; " + failures());
        }
        System.out.printf(Locale.ROOT, "formed: %d members settled %.1f s after the first subscribe%s%n", members.size(),
                (System.nanoTime() - t0) / 1e9, failures().isEmpty() ? "" : " [" + failures() + "]");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (members.stream().anyMatch(m -> m.firstRecordNanos() == 0) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        long silent = members.stream().filter(m -> m.firstRecordNanos() == 0).count();
        if (silent > 0) {
            System.out.printf("warning: %d members have received no record 60 s after forming%n", silent);
        }
        failures();
    }

    // --- one change ----------------------------------------------------------------------------------

    private Round add(int round) throws Exception {
        Baseline base = baseline();
        RebalanceMember joining = newMember();
        while (joining.subscribeNanos() == 0 && joining.failure() == null) {
            Thread.onSpinWait();
        }
        long t0 = joining.subscribeNanos();
        Check check = awaitSettled(t0, options.settleTimeoutMs(), joining);
        long settledAt = System.nanoTime();
        return measure(round, true, base, joining, t0, settledAt, check);
    }

    private Round remove(int round) throws Exception {
        Baseline base = baseline();
        RebalanceMember leaving = members.removeLast();
        leaving.stop();
        while (leaving.closeStartNanos() == 0) {
            Thread.onSpinWait();
        }
        long t0 = leaving.closeStartNanos();
        Check check = awaitSettled(t0, options.settleTimeoutMs(), null);
        long settledAt = System.nanoTime();
        leaving.join(30_000);
        return measure(round, false, base, leaving, t0, settledAt, check);
    }

    /** Owners and listener counts before a change, and each member's normal gap. */
    private record Baseline(Map<TopicPartition, Integer> owners, Map<Integer, Integer> changes, Map<Integer, Long> gaps) {
    }

    private Baseline baseline() throws InterruptedException {
        members.forEach(RebalanceMember::mark);
        Thread.sleep(options.baselineMs());
        long now = System.nanoTime();
        Map<Integer, Long> gaps = new HashMap<>();
        Map<Integer, Integer> changes = new HashMap<>();
        for (RebalanceMember m : members) {
            gaps.put(m.id, m.maxGapNanos(now));
            changes.put(m.id, m.changes());
            m.mark();
        }
        return new Baseline(owners(), changes, gaps);
    }

    private Round measure(int round, boolean add, Baseline base, RebalanceMember changed, long t0, long settledAt, Check check)
            throws Exception {
        Map<Integer, Long> windowGaps = new HashMap<>();
        for (RebalanceMember m : members) {
            windowGaps.put(m.id, m.maxGapNanos(settledAt));
        }
        Map<TopicPartition, Integer> after = owners();
        List<TopicPartition> moved = after.entrySet().stream()
                .filter(e -> !Objects.equals(base.owners().get(e.getKey()), e.getValue())).map(Map.Entry::getKey).toList();
        // every moved partition's first record at its new owner: wait a little beyond settling for it
        Map<Integer, RebalanceMember> byId = new HashMap<>();
        members.forEach(m -> byId.put(m.id, m));
        long allMoved = -1;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            long latest = 0;
            boolean all = true;
            for (TopicPartition tp : moved) {
                RebalanceMember owner = byId.get(after.get(tp));
                long first = owner == null ? 0 : owner.firstRecordNanos(tp);
                if (first == 0) {
                    all = false;
                    break;
                }
                latest = Math.max(latest, first);
            }
            if (all) {
                allMoved = moved.isEmpty() ? t0 : latest;
                break;
            }
            Thread.sleep(20);
        }
        int affected = 0;
        List<Long> unchangedGaps = new ArrayList<>();
        List<Long> unchangedNormal = new ArrayList<>();
        for (RebalanceMember m : members) {
            if (m == changed || !base.changes().containsKey(m.id)) {
                continue;
            }
            if (m.changes() != base.changes().get(m.id)) {
                affected++;
            } else {
                unchangedGaps.add(windowGaps.get(m.id));
                unchangedNormal.add(base.gaps().get(m.id));
            }
        }
        long[] normal = unchangedNormal.stream().mapToLong(Long::longValue).sorted().toArray();
        double assigned = add && changed.firstAssignedNanos() > 0 ? ms(changed.firstAssignedNanos() - t0) : -1;
        double firstRecord = add && changed.firstRecordNanos() > 0 ? ms(changed.firstRecordNanos() - t0) : -1;
        double leave = !add && changed.closedNanos() > 0 ? ms(changed.closedNanos() - changed.closeStartNanos()) : -1;
        String describe = describeCheck();
        String note = (check.settled() ? "" : "NOT SETTLED within " + options.settleTimeoutMs() + " ms: " + check + "; ")
                + (describe.isEmpty() ? "" : "describe: " + describe + "; ") + failures();
        return new Round(round, add, members.size(), check.settled() ? ms(settledAt - t0) : -1, assigned, firstRecord,
                allMoved < 0 ? -1 : ms(allMoved - t0), leave, moved.size(), affected, unchangedGaps.size(),
                unchangedGaps.isEmpty() ? -1 : ms(unchangedGaps.stream().mapToLong(Long::longValue).max().orElseThrow()),
                normal.length == 0 ? -1 : ms(Latencies.percentile(normal, 50)), normal.length == 0 ? -1 : ms(normal[normal.length - 1]),
                describe.isEmpty(), note.strip());
    }

    /** partition → id of the running member whose listener says it owns it (the last one seen, if two do). */
    private Map<TopicPartition, Integer> owners() {
        Map<TopicPartition, Integer> owners = new HashMap<>();
        for (RebalanceMember m : members) {
            for (TopicPartition tp : m.owned()) {
                owners.put(tp, m.id);
            }
        }
        return owners;
    }

    /**
     * Checks every {@code --check-ms} until settled or {@code timeoutMs} after {@code t0}; returns the
     * last check. {@code joining}: the member being added, which must own its share and have a record.
     */
    private Check awaitSettled(long t0, long timeoutMs, RebalanceMember joining) throws InterruptedException {
        long deadline = t0 + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        Check last;
        do {
            last = check(joining);
            if (last.settled()) {
                return last;
            }
            if (members.stream().anyMatch(m -> m.failure() != null)) {
                return last;   // a member's thread ended: the group cannot settle with it counted
            }
            Thread.sleep(options.checkMs());
        } while (System.nanoTime() < deadline);
        return last;
    }

    private Check check(RebalanceMember joining) {
        String state = "unknown";
        int count = -1;
        try {
            Optional<GroupListing> g = admin.listGroups().stream().filter(l -> l.groupId().equals(options.group())).findFirst();
            if (g.isPresent()) {
                state = g.get().state();
                count = g.get().members();
            }
        } catch (StrataException e) {
            state = "error " + e.reason();
        }
        int[] owners = new int[partitions];
        for (RebalanceMember m : members) {
            for (TopicPartition tp : m.owned()) {
                if (tp.partition() < partitions) {
                    owners[tp.partition()]++;
                }
            }
        }
        int owned = (int) Arrays.stream(owners).filter(n -> n == 1).count();
        int unowned = (int) Arrays.stream(owners).filter(n -> n == 0).count();
        int doubly = (int) Arrays.stream(owners).filter(n -> n > 1).count();
        List<String> why = new ArrayList<>();
        if (!state.equals("stable")) {
            why.add("state " + state);
        }
        if (count != members.size()) {
            why.add(count + " members listed, " + members.size() + " running");
        }
        if (unowned > 0 || doubly > 0) {
            why.add(unowned + " partitions unowned, " + doubly + " owned twice");
        }
        if (joining != null) {
            int share = partitions / members.size();
            if (joining.ownedCount() < share) {
                why.add("new member owns " + joining.ownedCount() + " < " + share);
            }
            if (joining.firstRecordNanos() == 0) {
                why.add("new member has no record yet");
            }
        }
        return new Check(why.isEmpty(), state, count, owned, unowned, doubly, String.join(", ", why));
    }

    /** DescribeGroup: "" when stable with every member at the group epoch and assignment = target; else what differs. */
    private String describeCheck() {
        try {
            GroupDescription d = admin.describeGroup(options.group());
            List<String> problems = new ArrayList<>();
            if (!d.state().equals("stable")) {
                problems.add("state " + d.state());
            }
            if (d.members().size() != members.size()) {
                problems.add(d.members().size() + " members");
            }
            long behind = d.members().stream().filter(m -> m.memberEpoch() != d.groupEpoch()).count();
            long unreconciled = d.members().stream().filter(m -> !m.assignment().equals(m.targetAssignment())).count();
            if (behind > 0) {
                problems.add(behind + " members not at group epoch " + d.groupEpoch());
            }
            if (unreconciled > 0) {
                problems.add(unreconciled + " members with assignment != target");
            }
            int assigned = d.members().stream().mapToInt(m -> m.assignment().size()).sum();
            if (assigned != partitions) {
                problems.add(assigned + " partitions assigned");
            }
            return String.join(", ", problems);
        } catch (StrataException e) {
            return "failed: " + e.getMessage();
        }
    }

    /** Members whose thread failed (and is gone), as text; "" if none. */
    private String failures() {
        List<String> failed = new ArrayList<>();
        for (RebalanceMember m : members) {
            if (m.failure() != null) {
                failed.add("member " + m.id + ": " + m.failure());
            }
        }
        long lost = members.stream().mapToInt(RebalanceMember::lost).sum();
        if (lost > 0) {
            failed.add(lost + " onPartitionsLost calls so far");
        }
        int pollFailures = members.stream().mapToInt(RebalanceMember::pollFailures).sum();
        if (pollFailures > 0) {
            long by = members.stream().filter(m -> m.pollFailures() > 0).count();
            String first = members.stream().map(RebalanceMember::firstPollFailure).filter(Objects::nonNull).findFirst()
                    .map(Throwable::getMessage).orElse("?");
            failed.add(pollFailures + " polls threw so far (" + by + " members; they subscribed again), first: " + first);
        }
        return String.join("; ", failed);
    }

    private void stopAll() throws InterruptedException {
        members.forEach(RebalanceMember::stop);
        for (RebalanceMember m : members) {
            m.join(30_000);
        }
    }

    // --- output ------------------------------------------------------------------------------------

    private static double ms(long nanos) {
        return Math.round(nanos / 1e4) / 100.0;
    }

    private static String ms(double v) {
        return v < 0 ? "not seen" : String.format(Locale.ROOT, "%.0f ms", v);
    }

    private String line(Round r) {
        String what = r.add()
                ? String.format(Locale.ROOT, "add member (-> %d): settled %s (new member assigned %s, first record %s)",
                        r.membersAfter(), ms(r.settleMs()), ms(r.assignedMs()), ms(r.firstRecordMs()))
                : String.format(Locale.ROOT, "remove member (-> %d): settled %s (its close() took %s)", r.membersAfter(),
                        ms(r.settleMs()), ms(r.leaveMs()));
        return String.format(Locale.ROOT, "round %2d: %s; %d partitions moved, every moved partition delivering %s;"
                        + " %d other members affected; %d unchanged members: longest gap %s during the rebalance vs normal"
                        + " %s (p50) / %s (max)%s", r.round(), what, r.moved(), ms(r.allMovedMs()), r.affected(), r.unchanged(),
                ms(r.unchangedMaxGapMs()), ms(r.normalGapP50Ms()), ms(r.normalGapMaxMs()),
                r.note().isEmpty() ? "" : " [" + r.note() + "]");
    }

    private int report() throws IOException {
        System.out.println();
        System.out.println("== Rebalance benchmark (consumer-groups issue) ==");
        System.out.printf(Locale.ROOT, "%d partitions, %d -> %d members, producer %d records/s; target: settled < %d ms;"
                        + " %d cores, load average %s%n", partitions, options.members(), options.members() + 1, options.rate(),
                options.targetMs(), Runtime.getRuntime().availableProcessors(), loadAverage());
        System.out.println();
        System.out.println("| change | rounds | settled p50 ms | settled max ms | target | new member assigned p50 ms | first record p50 ms"
                + " | moved partitions p50 / max | all moved delivering p50 ms | unchanged members: max gap during rebalance ms"
                + " | their normal max gap p50 / max ms | describe ok |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|");
        List<ObjectNode> results = new ArrayList<>();
        boolean allMet = true;
        for (String kind : List.of("add", "remove", "all")) {
            List<Round> rs = rounds.stream().filter(r -> kind.equals("all") || r.add() == kind.equals("add")).toList();
            if (rs.isEmpty()) {
                continue;
            }
            long[] settle = nanos(rs.stream().mapToDouble(Round::settleMs));
            long[] assigned = nanos(rs.stream().mapToDouble(Round::assignedMs));
            long[] first = nanos(rs.stream().mapToDouble(Round::firstRecordMs));
            long[] moved = nanos(rs.stream().mapToDouble(Round::moved)); // counts, in the ms slot
            long[] allMoved = nanos(rs.stream().mapToDouble(Round::allMovedMs));
            long[] gap = nanos(rs.stream().mapToDouble(Round::unchangedMaxGapMs));
            long[] normalP50 = nanos(rs.stream().mapToDouble(Round::normalGapP50Ms));
            long[] normalMax = nanos(rs.stream().mapToDouble(Round::normalGapMaxMs));
            long unsettled = rs.stream().filter(r -> r.settleMs() < 0).count();
            boolean met = unsettled == 0 && settle.length > 0 && settle[settle.length - 1] / 1e6 < options.targetMs();
            allMet &= met;
            long describeOk = rs.stream().filter(Round::describeOk).count();
            System.out.printf(Locale.ROOT, "| %s | %d | %s | %s | %s | %s | %s | %s / %s | %s | %s | %s / %s | %d/%d |%n", kind, rs.size(),
                    p50(settle), max(settle), met ? "met" : (unsettled > 0 ? unsettled + " NOT SETTLED" : "MISSED"), p50(assigned),
                    p50(first), p50(moved), max(moved), p50(allMoved), max(gap), p50(normalP50), max(normalMax), describeOk, rs.size());
            results.add(JSON.createObjectNode().put("bench", "rebalance").put("measurement", "summary").put("change", kind)
                    .put("rounds", rs.size()).put("partitions", partitions).put("members", options.members())
                    .put("rate", options.rate()).put("settle_p50_ms", p50Ms(settle)).put("settle_max_ms", maxMs(settle))
                    .put("unsettled", unsettled).put("target_ms", options.targetMs()).put("met", met)
                    .put("moved_p50", p50Ms(moved)).put("moved_max", maxMs(moved)).put("unchanged_max_gap_ms", maxMs(gap))
                    .put("normal_gap_p50_ms", p50Ms(normalP50)).put("normal_gap_max_ms", maxMs(normalMax))
                    .put("describe_ok", describeOk));
        }
        System.out.println();
        System.out.println("settled = ListGroups shows the group stable with the expected member count, every partition is owned"
                + " by exactly one member (their listeners), and (add) the new member owns its share and has a record; t0 = the"
                + " new member's subscribe() / the leaving member's close(). Gaps: longest time between two polls that returned"
                + " records, for the members whose assignment did not change; normal = the same over the " + options.baselineMs()
                + " ms before the change. 'all moved delivering' = every moved partition gave its new owner a record (bounded"
                + " by the producer's per-partition rate; not part of settled).");
        System.out.println("resources at the end: " + resources());
        for (Round r : rounds) {
            results.add(JSON.createObjectNode().put("bench", "rebalance").put("measurement", "round").put("round", r.round())
                    .put("change", r.add() ? "add" : "remove").put("members_after", r.membersAfter()).put("settle_ms", r.settleMs())
                    .put("assigned_ms", r.assignedMs()).put("first_record_ms", r.firstRecordMs())
                    .put("all_moved_delivering_ms", r.allMovedMs()).put("leave_ms", r.leaveMs()).put("moved", r.moved())
                    .put("affected", r.affected()).put("unchanged", r.unchanged()).put("unchanged_max_gap_ms", r.unchangedMaxGapMs())
                    .put("normal_gap_p50_ms", r.normalGapP50Ms()).put("normal_gap_max_ms", r.normalGapMaxMs())
                    .put("describe_ok", r.describeOk()).put("note", r.note()));
        }
        for (ObjectNode r : results) {
            System.out.println("RESULT " + JSON.writeValueAsString(r));
        }
        return allMet ? 0 : 3;
    }

    /** Threads, heap and RSS of this JVM: what 100+ consumers cost. */
    private static String resources() {
        Runtime rt = Runtime.getRuntime();
        long threads = ManagementFactory.getThreadMXBean().getThreadCount();
        String live = liveHeap();
        String rss = "?";
        try {
            rss = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmRSS:"))
                    .map(l -> l.substring(6).strip()).findFirst().orElse("?");
        } catch (IOException e) {
            // not Linux
        }
        return String.format(Locale.ROOT, "%d threads, live heap %s (max %d MiB), RSS %s, %s", threads, live,
                rt.maxMemory() >> 20, rss, sockets());
    }

    /** Live heap after a full GC (the DiagnosticCommand behind {@code jcmd GC.class_histogram}), or "?". */
    private static String liveHeap() {
        try {
            Object text = ManagementFactory.getPlatformMBeanServer().invoke(
                    new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                    new Object[] {new String[0]}, new String[] {String[].class.getName()});
            String[] lines = text.toString().strip().split("\n");
            String[] total = lines[lines.length - 1].trim().split("\\s+");   // Total <instances> <bytes>
            return (Long.parseLong(total[total.length - 1]) >> 20) + " MiB";
        } catch (Exception e) {
            return "?";
        }
    }

    /** Open sockets of this process (gRPC channels are one TCP connection each), or "?". */
    private static String sockets() {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            long sockets = fds.filter(p -> {
                try {
                    return Files.readSymbolicLink(p).toString().startsWith("socket:");
                } catch (IOException e) {
                    return false;
                }
            }).count();
            return Long.toString(sockets) + " sockets";
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    private static long[] nanos(java.util.stream.DoubleStream ms) {
        return ms.filter(v -> v >= 0).mapToLong(v -> (long) (v * 1e6)).sorted().toArray();
    }

    private static String p50(long[] sortedNanos) {
        return sortedNanos.length == 0 ? "NA" : String.format(Locale.ROOT, "%.0f", Latencies.percentile(sortedNanos, 50) / 1e6);
    }

    private static String max(long[] sortedNanos) {
        return sortedNanos.length == 0 ? "NA" : String.format(Locale.ROOT, "%.0f", sortedNanos[sortedNanos.length - 1] / 1e6);
    }

    private static Double p50Ms(long[] sortedNanos) {
        return sortedNanos.length == 0 ? null : Math.round(Latencies.percentile(sortedNanos, 50) / 1e4) / 100.0;
    }

    private static Double maxMs(long[] sortedNanos) {
        return sortedNanos.length == 0 ? null : Math.round(sortedNanos[sortedNanos.length - 1] / 1e4) / 100.0;
    }

    private static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return parts[0] + " " + parts[1] + " " + parts[2];
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }
}
