package io.strata.tests;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * One topic's traffic in a fault test: an acks=all idempotent producer ({@link ProducerDoor},
 * {@code --via direct}) and a consumer tailing the topic ({@link ConsumerTail}), the
 * {@link Timeline} of what the test did meanwhile, and at the end the history check
 * ({@link HistoryChecker}) of what both reported against the topic read back.
 *
 * <p>Not thread-safe: the test's thread calls it. A test that fails before
 * {@link #finishAndCheck} should print {@link #timeline} and {@link #kill} it (an
 * {@code @AfterEach} that looks at {@link #reported()}).
 */
final class TopicTraffic {

    /** The consumer alongside prints every acknowledged record within this once the producer stopped. */
    private static final Duration CONSUMER_CATCH_UP = Duration.ofSeconds(60);
    /** The read-back consumer stops after this long without a new record. */
    private static final long READ_BACK_IDLE_MS = 5000;

    final String topic;
    final ProducerDoor door;
    final ConsumerTail tail;
    final Timeline timeline = new Timeline();
    private final String bootstrap;
    private boolean reported;

    /** @param dir where the producer's and the consumer's output go */
    TopicTraffic(Path dir, String bootstrap, String topic) throws Exception {
        this.topic = topic;
        this.bootstrap = bootstrap;
        this.tail = new ConsumerTail("consumer", dir, bootstrap, topic);
        this.door = new ProducerDoor("direct", "d-", dir.resolve("door"), bootstrap, topic, "direct");
    }

    /** Starts the producer and waits until it had more than 100 records acknowledged. */
    void start() throws Exception {
        door.start();
        await("the producer acknowledges records").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                .untilAsserted(() -> assertThat(door.acksSoFar()).hasSizeGreaterThan(100));
        mark("producing");
    }

    /** Notes an event in the timeline; returns the producer's last sequence number sent before it. */
    Map<String, Integer> mark(String event) {
        return timeline.mark(event, List.of(door));
    }

    /** Waits until the producer acknowledged, in every partition it wrote to, a record sent after {@code mark}. */
    void awaitAcksInEveryPartitionAfter(Map<String, Integer> mark, Duration atMost) {
        ProducerDoor.awaitAcksInEveryPartitionAfter(mark, List.of(door), atMost);
    }

    /** The producer's acknowledgements of one partition so far (with an offset), in offset order. */
    List<ProducerDoor.Ack> acksOf(int partition) throws Exception {
        return door.acksSoFar().stream().filter(a -> a.partition() == partition && a.offset() >= 0)
                .sorted(Comparator.comparingLong(ProducerDoor.Ack::offset)).toList();
    }

    /** The highest offset acknowledged in a partition so far, -1 when none. */
    long lastAckedOffset(int partition) throws Exception {
        return door.acksSoFar().stream().filter(a -> a.partition() == partition).mapToLong(ProducerDoor.Ack::offset)
                .max().orElse(-1);
    }

    /**
     * Waits until {@code leader}, the partition's leader, serves every record of
     * {@code acknowledged} at its offset, read with {@code consume --partition P --offset 0}.
     * A new leader's high watermark moves once its followers fetched from it, hence the wait.
     */
    void awaitLeaderServes(int partition, int leader, List<ProducerDoor.Ack> acknowledged, Duration within) {
        await("node " + leader + " serves every record acknowledged in partition " + partition)
                .atMost(within).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                    HistoryChecker.Log log = consumePartition(partition, acknowledged.getLast().offset() + 1);
                    List<String> missing = new ArrayList<>();
                    for (ProducerDoor.Ack a : acknowledged) {
                        JsonNode r = log.at(partition, a.offset());
                        if (r == null || !r.get("value").asText().equals(a.value())) {
                            missing.add(a.value() + "@" + a.offset() + (r == null ? " (none)" : " (" + r.get("value").asText() + ")"));
                        }
                    }
                    assertThat(missing).as("acknowledged records of partition %d that node %d does not serve at their "
                            + "offsets (log ends at %s)", partition, leader, log.endOffsets()).isEmpty();
                });
    }

    /**
     * The first {@code records} records of a partition, read from its leader (fewer when 3 s pass
     * without a record: the partition is being written, so it never goes idle by itself).
     */
    private HistoryChecker.Log consumePartition(int partition, long records) throws Exception {
        Cli.Result r = Cli.runWithBootstrapEnv(bootstrap, null, "consume", topic, "--partition", Integer.toString(partition),
                "--offset", "0", "--max-messages", Long.toString(records), "--output", "json", "--timeout-ms", "3000");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        return HistoryChecker.Log.parse(r.stdoutLines());
    }

    /** Whether the timeline and the check's report were printed (by {@link #finishAndCheck} or {@link #report}). */
    boolean reported() {
        return reported;
    }

    /** Prints the timeline of a test that failed before its history check. */
    void report() {
        System.out.print("topic " + topic + " (the test failed before its history check):\n" + timeline);
        reported = true;
    }

    /**
     * Stops the producer, lets the consumer catch up with every acknowledged record, reads the
     * whole topic back and checks the history; fails with the timeline and every problem. The
     * producer must have failed nothing: an acks=all idempotent producer rides out leadership
     * changes (delivery.timeout.ms is 120 s).
     */
    void finishAndCheck() throws Exception {
        door.stopFeeding();
        door.awaitExit();
        mark("stdin closed, the producer exited");
        List<String> problems = new ArrayList<>();
        Set<String> acked = new HashSet<>();
        for (ProducerDoor.Ack a : door.acksSoFar()) {
            if (a.offset() >= 0) {
                acked.add(a.partition() + "@" + a.offset());
            }
        }
        if (!tail.alive()) {
            problems.add("the consumer exited while the faults happened; its stderr: " + tail.stderr());
        } else {
            long deadline = System.nanoTime() + CONSUMER_CATCH_UP.toNanos();
            Set<String> unseen = new TreeSet<>(acked);
            while (System.nanoTime() < deadline) {
                unseen.removeAll(tail.placesPrinted());
                if (unseen.isEmpty()) {
                    break;
                }
                Thread.sleep(500);
            }
            if (!unseen.isEmpty()) {
                problems.add("the consumer alongside did not print " + unseen.size() + " acknowledged records within "
                        + CONSUMER_CATCH_UP.toSeconds() + " s, e.g. " + HistoryChecker.first(unseen, 10) + "; its stderr: "
                        + tail.stderr());
            }
        }
        tail.stop();
        mark("the consumer caught up and was stopped");

        HistoryChecker.Log log = HistoryChecker.Log.consume(bootstrap, topic, READ_BACK_IDLE_MS);
        HistoryChecker.Verdict verdict = HistoryChecker.check(List.of(door), log);
        problems.addAll(verdict.problems());
        List<JsonNode> consumed = tail.records();
        HistoryChecker.checkConsumed("the consumer alongside", consumed, log, problems);
        ProducerDoor.Outcome outcome = verdict.outcomes().get(door.name);
        if (!outcome.failed.isEmpty()) {
            problems.add("the producer failed " + outcome.failed.size() + " records, e.g. "
                    + HistoryChecker.first(outcome.failed.entrySet(), 5) + ": an acks=all idempotent producer must ride "
                    + "out a leadership change (delivery.timeout.ms is 120 s)");
        }
        String report = "topic " + topic + ":\n" + timeline + verdict.report() + "consumer alongside: printed "
                + consumed.size() + " records\n";
        System.out.print(report);
        reported = true;
        assertThat(problems).as("%s%d problems (first 40 shown):%n  %s", report, problems.size(),
                String.join("\n  ", problems.subList(0, Math.min(40, problems.size())))).isEmpty();
    }

    /** Kills the producer's and the consumer's processes (a failed test's clean-up). */
    void kill() throws Exception {
        door.kill();
        if (tail.alive()) {
            tail.stop();
        }
    }
}
