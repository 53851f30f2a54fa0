package io.strata.tests;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A {@code strata consume TOPIC --from-beginning --output json} process left running while
 * faults happen, as a user's tail of the topic: what it printed is checked against the log
 * afterwards ({@link HistoryChecker#checkConsumed}).
 */
final class ConsumerTail {

    final String name;
    private final Process process;
    private final Path out;
    private final Path err;

    ConsumerTail(String name, Path dir, String bootstrap, String topic) throws IOException {
        this(name, dir, bootstrap, topic, List.of());
    }

    private ConsumerTail(String name, Path dir, String bootstrap, String topic, List<String> options) throws IOException {
        this.name = name;
        Files.createDirectories(dir);
        this.out = dir.resolve(name + ".out");
        this.err = dir.resolve(name + ".err");
        List<String> command = new ArrayList<>(List.of(StrataHome.launcher().toString(), "--bootstrap", bootstrap, "consume",
                topic, "--from-beginning", "--output", "json"));
        command.addAll(options);
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().remove("STRATA_BOOTSTRAP");
        this.process = pb.start();
    }

    /**
     * The same as a member of consumer group {@code group} ({@code --group G}): it reads the
     * partitions the group gives it from the group's committed offsets (from the beginning where
     * there are none) and commits what it printed.
     */
    static ConsumerTail inGroup(String name, Path dir, String bootstrap, String topic, String group) throws IOException {
        return new ConsumerTail(name, dir, bootstrap, topic, List.of("--group", group));
    }

    boolean alive() {
        return process.isAlive();
    }

    /** What it printed so far, in order (a line being written is left out). */
    HistoryChecker.Log printed() throws IOException {
        return HistoryChecker.Log.parse(Files.readAllLines(out));
    }

    /** The records printed so far, as partition@offset. */
    Set<String> placesPrinted() throws IOException {
        Set<String> places = new HashSet<>();
        for (JsonNode r : printed().records()) {
            places.add(r.get("partition").asInt() + "@" + r.get("offset").asLong());
        }
        return places;
    }

    List<JsonNode> records() throws IOException {
        return printed().records();
    }

    String stderr() throws IOException {
        return Files.readString(err);
    }

    /**
     * Stops it with SIGTERM (SIGKILL if it has not exited 10 s later); returns its exit code (-1
     * when it had to be killed).
     */
    int stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor();
            return -1;
        }
        return process.exitValue();
    }
}
