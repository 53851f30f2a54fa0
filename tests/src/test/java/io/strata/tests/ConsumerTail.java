package io.strata.tests;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
        this.name = name;
        Files.createDirectories(dir);
        this.out = dir.resolve(name + ".out");
        this.err = dir.resolve(name + ".err");
        ProcessBuilder pb = new ProcessBuilder(StrataHome.launcher().toString(), "--bootstrap", bootstrap, "consume", topic,
                "--from-beginning", "--output", "json").redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().remove("STRATA_BOOTSTRAP");
        this.process = pb.start();
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

    /** Stops it as Ctrl-C would (SIGTERM; SIGKILL if it has not exited 10 s later). */
    void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
