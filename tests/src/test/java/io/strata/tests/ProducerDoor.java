package io.strata.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * One door into a topic: a long-running {@code strata produce TOPIC --via VIA --output json}
 * process (acks=all and idempotent, the CLI's defaults) fed one line every {@link #PACE} by a
 * thread of its own. Its stdout is the list of acknowledged records and its stderr the failed
 * ones. Record {@code n} (from 1) has the key {@code <prefix>k<n mod KEYS>} and the value
 * {@code <name>-<n, six digits>}, so both can be computed back from the sequence number. If the
 * process exits while being fed, another one is started with the next sequence number (an
 * {@link Incarnation}); a line written to a process that died may or may not have been read,
 * and is never sent again.
 *
 * <p>{@link HistoryChecker} compares what the doors report with the log read back.
 */
final class ProducerDoor {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Distinct keys per door: enough to reach every partition, few enough for long per-key sequences. */
    static final int KEYS = 24;
    /** One line every PACE: 50 records/s per door, light enough for a two-core machine. */
    static final Duration PACE = Duration.ofMillis(20);
    /** The door's CLI process that exits on its own is restarted, at most this often. */
    static final int MAX_INCARNATIONS = 4;
    private static final Pattern FAILED_LINE = Pattern.compile("^Error: line (\\d+): (.*)$");

    final String name;
    final String keyPrefix;
    final Path dir;
    private final String bootstrap;
    private final String topic;
    private final String via;
    final List<Incarnation> incarnations = new CopyOnWriteArrayList<>();
    private volatile int nextSeq = 1;
    private volatile boolean stopping;
    private Thread feeder;
    private final Pattern valuePattern;

    record Ack(int seq, String key, String value, int partition, long offset) {
    }

    /** A CLI process of this door and the sequence numbers it was given. */
    final class Incarnation {
        final Process process;
        final Path out;
        final Path err;
        final int firstSeq;
        volatile int lastSeq;
        volatile boolean exitedWhileFed;

        Incarnation(int firstSeq) throws IOException {
            int n = incarnations.size() + 1;
            this.firstSeq = firstSeq;
            this.lastSeq = firstSeq - 1;
            this.out = dir.resolve("produce-" + n + ".out");
            this.err = dir.resolve("produce-" + n + ".err");
            ProcessBuilder pb = new ProcessBuilder(StrataHome.launcher().toString(), "--bootstrap", bootstrap,
                    "produce", topic, "--via", via, "--output", "json", "--client-id", "door-" + name,
                    "--key-separator", ":").redirectOutput(out.toFile()).redirectError(err.toFile());
            pb.environment().remove("STRATA_BOOTSTRAP");
            this.process = pb.start();
        }
    }

    /** What the door's processes reported, by sequence number. */
    static final class Outcome {
        final Map<Integer, Ack> acks = new TreeMap<>();
        final Map<Integer, String> failed = new TreeMap<>();
        final Set<Integer> inFlight = new TreeSet<>();

        Map<String, Long> failureReasons() {
            return failed.values().stream().collect(Collectors.groupingBy(
                    m -> m.replaceAll("^.*\\(([A-Z_]+)\\)$", "$1"), TreeMap::new, Collectors.counting()));
        }
    }

    /**
     * @param name      the door's name, also its value prefix and (with "door-") its client id
     * @param keyPrefix makes the door's keys its own
     * @param via       {@code direct} or {@code ingestion}
     */
    ProducerDoor(String name, String keyPrefix, Path dir, String bootstrap, String topic, String via) throws IOException {
        this.name = name;
        this.keyPrefix = keyPrefix;
        this.dir = Files.createDirectories(dir);
        this.bootstrap = bootstrap;
        this.topic = topic;
        this.via = via;
        this.valuePattern = Pattern.compile("^" + Pattern.quote(name) + "-(\\d{6})$");
    }

    /**
     * Waits until each door acknowledged, in every partition it wrote to so far, a record sent
     * after the door's sequence number in {@code lastSent} (door name → seq, as {@link Timeline#mark} returns).
     */
    static void awaitAcksInEveryPartitionAfter(Map<String, Integer> lastSent, List<ProducerDoor> doors, Duration atMost) {
        await("acknowledgements after " + lastSent + " in every partition").atMost(atMost)
                .pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                    for (ProducerDoor d : doors) {
                        int seq = lastSent.get(d.name);
                        List<Ack> acks = d.acksSoFar();
                        Set<Integer> used = acks.stream().map(Ack::partition).collect(Collectors.toCollection(TreeSet::new));
                        Set<Integer> fresh = acks.stream().filter(a -> a.seq() > seq).map(Ack::partition)
                                .collect(Collectors.toCollection(TreeSet::new));
                        assertThat(fresh).as("partitions where door-%s acknowledged a record after sequence %d", d.name, seq)
                                .containsAll(used);
                    }
                });
    }

    String key(int seq) {
        return keyPrefix + "k" + (seq % KEYS);
    }

    String value(int seq) {
        return String.format("%s-%06d", name, seq);
    }

    /** The sequence number of one of this door's values, else null. */
    Integer seqOf(String value) {
        Matcher m = valuePattern.matcher(value);
        return m.matches() ? Integer.parseInt(m.group(1)) : null;
    }

    /** The last sequence number sent so far. */
    int sent() {
        return nextSeq - 1;
    }

    void start() throws IOException {
        incarnations.add(new Incarnation(nextSeq));
        feeder = new Thread(this::feed, "feed-door-" + name);
        feeder.setDaemon(true);
        feeder.start();
    }

    private void feed() {
        try {
            while (!stopping) {
                Incarnation inc = incarnations.get(incarnations.size() - 1);
                int seq = nextSeq;
                try {
                    OutputStream in = inc.process.getOutputStream();
                    in.write((key(seq) + ":" + value(seq) + "\n").getBytes(StandardCharsets.UTF_8));
                    in.flush();
                    inc.lastSeq = seq;
                    nextSeq = seq + 1;
                } catch (IOException e) {
                    // The CLI exited while fed; the line may or may not have been read: never send it again.
                    inc.exitedWhileFed = true;
                    inc.lastSeq = seq;
                    nextSeq = seq + 1;
                    if (incarnations.size() == MAX_INCARNATIONS) {
                        return;
                    }
                    incarnations.add(new Incarnation(nextSeq));
                    continue;
                }
                Thread.sleep(PACE.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            try {
                incarnations.get(incarnations.size() - 1).process.getOutputStream().close();
            } catch (IOException ignored) {
                // already gone: the outcome says so
            }
        }
    }

    /** Stops feeding; the feeder then closes the CLI's stdin. */
    void stopFeeding() {
        stopping = true;
    }

    /** Waits for the feeder to close stdin and for the CLI to send what it has and exit. */
    void awaitExit() throws Exception {
        feeder.join(TimeUnit.SECONDS.toMillis(30));
        assertThat(feeder.isAlive()).as("door-%s's CLI took no input for 30 s (a hang?)", name).isFalse();
        Incarnation last = incarnations.get(incarnations.size() - 1);
        boolean exited = last.process.waitFor(90, TimeUnit.SECONDS);
        assertThat(exited).as("door-%s's CLI exits within 90 s of its stdin closing; stderr: %s", name,
                Files.readString(last.err)).isTrue();
        assertThat(incarnations).as("door-%s's CLI processes: it exited on its own %d times", name,
                incarnations.size() - 1).hasSizeLessThan(MAX_INCARNATIONS);
    }

    void kill() {
        stopping = true;
        incarnations.forEach(i -> i.process.destroyForcibly());
    }

    /** The acknowledgements printed so far (a line being written is skipped). */
    List<Ack> acksSoFar() throws IOException {
        List<Ack> acks = new ArrayList<>();
        for (Incarnation inc : incarnations) {
            for (String line : Files.readAllLines(inc.out)) {
                try {
                    acks.add(toAck(JSON.readTree(line)));
                } catch (IOException | RuntimeException partial) {
                    // the line is still being written
                }
            }
        }
        return acks;
    }

    private Ack toAck(JsonNode j) {
        String value = j.get("value").asText();
        Integer seq = seqOf(value);
        if (seq == null) {
            throw new IllegalArgumentException("door-" + name + " acknowledged a value it never sent: " + j);
        }
        return new Ack(seq, j.get("key").asText(), value, j.get("partition").asInt(), j.get("offset").asLong());
    }

    /** Parses every process's stdout and stderr once all exited; adds what contradicts the CLI's contract to problems. */
    Outcome outcome(List<String> problems) throws IOException {
        Outcome o = new Outcome();
        for (Incarnation inc : incarnations) {
            for (String line : Files.readAllLines(inc.out)) {
                Ack a = toAck(JSON.readTree(line));
                if (a.seq() < inc.firstSeq || a.seq() > inc.lastSeq) {
                    problems.add("door-" + name + " acknowledged " + a.value() + ", which its process #"
                            + (incarnations.indexOf(inc) + 1) + " was never given");
                } else if (!a.key().equals(key(a.seq()))) {
                    problems.add("door-" + name + " acknowledged " + a.value() + " with key " + a.key() + ", sent with "
                            + key(a.seq()));
                }
                if (o.acks.put(a.seq(), a) != null) {
                    problems.add("door-" + name + " acknowledged " + a.value() + " twice");
                }
            }
            for (String line : Files.readAllLines(inc.err)) {
                Matcher m = FAILED_LINE.matcher(line);
                if (m.matches()) {
                    int seq = inc.firstSeq + Integer.parseInt(m.group(1)) - 1;
                    o.failed.put(seq, m.group(2));
                    if (o.acks.containsKey(seq)) {
                        problems.add("door-" + name + " both acknowledged and failed " + value(seq) + ": " + m.group(2));
                    }
                }
            }
            for (int seq = inc.firstSeq; seq <= inc.lastSeq; seq++) {
                if (!o.acks.containsKey(seq) && !o.failed.containsKey(seq)) {
                    if (inc.exitedWhileFed) {
                        o.inFlight.add(seq);
                    } else {
                        problems.add("door-" + name + " neither acknowledged nor failed " + value(seq)
                                + " though its CLI exited normally (exit " + inc.process.exitValue() + ")");
                    }
                }
            }
        }
        return o;
    }
}
