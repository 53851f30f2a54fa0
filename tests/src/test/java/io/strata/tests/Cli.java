package io.strata.tests;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs {@code bin/strata} as a user would, with stdin, and captures what it printed. */
final class Cli {

    record Result(int exitCode, String stdout, String stderr) {
        List<String> stdoutLines() {
            return stdout.isEmpty() ? List.of() : List.of(stdout.split("\n"));
        }
    }

    private Cli() {
    }

    static Result run(String stdin, String... args) throws IOException, InterruptedException {
        return runWithBootstrapEnv(null, stdin, args);
    }

    /** Runs with {@code STRATA_BOOTSTRAP} set to {@code bootstrapEnv} (unset when null). */
    static Result runWithBootstrapEnv(String bootstrapEnv, String stdin, String... args) throws IOException, InterruptedException {
        return runWithEnv(bootstrapEnv == null ? Map.of() : Map.of("STRATA_BOOTSTRAP", bootstrapEnv), stdin, args);
    }

    /**
     * Runs with these environment variables added (e.g. {@code STRATA_JAVA_OPTS} for the roles
     * {@code cluster up} starts); {@code STRATA_BOOTSTRAP} is unset unless {@code env} sets it.
     */
    static Result runWithEnv(Map<String, String> env, String stdin, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(StrataHome.launcher().toString());
        command.addAll(List.of(args));
        Path out = Files.createTempFile("strata-cli", ".out");
        Path err = Files.createTempFile("strata-cli", ".err");
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectOutput(out.toFile())
                .redirectError(err.toFile());
        pb.environment().remove("STRATA_BOOTSTRAP");
        pb.environment().putAll(env);
        Process p = pb.start();
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("strata " + String.join(" ", args) + " did not finish in 120 s");
        }
        Result r = new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
        return r;
    }
}
