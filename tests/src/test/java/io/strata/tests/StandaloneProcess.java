package io.strata.tests;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code bin/strata standalone} process. {@link #start} returns once it printed its
 * ready line; {@link #kill9()} kills it with SIGKILL, {@link #stop()} with SIGTERM.
 */
final class StandaloneProcess implements AutoCloseable {

    private final Process process;
    private final int port;
    private final CompletableFuture<String> ready = new CompletableFuture<>();
    private final StringBuilder output = new StringBuilder();

    private StandaloneProcess(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    static StandaloneProcess start(Path dataDir, int port, Path logFile) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(List.of(StrataHome.launcher().toString(), "standalone",
                "--data-dir", dataDir.toString(), "--port", Integer.toString(port), "--http-port", "0"))
                .redirectError(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        StandaloneProcess sp = new StandaloneProcess(pb.start(), port);
        Thread reader = new Thread(sp::readStdout, "standalone-stdout");
        reader.setDaemon(true);
        reader.start();
        try {
            sp.ready.get(120, TimeUnit.SECONDS);
        } catch (Exception e) {
            sp.kill9();
            throw new IllegalStateException("standalone did not print its ready line; stdout: " + sp.output
                    + "; see " + logFile, e);
        }
        return sp;
    }

    private void readStdout() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                synchronized (output) {
                    output.append(line).append('\n');
                }
                if (line.contains("ready")) {
                    ready.complete(line);
                }
            }
        } catch (IOException ignored) {
            // The process died; ready stays incomplete and start() reports it.
        }
        // stdout closes just before the process exits (or when it closes its stdout): say which.
        ready.completeExceptionally(new IllegalStateException("stdout closed; "
                + (process.isAlive() ? "the process still runs" : "exit " + process.exitValue())));
    }

    String readyLine() {
        return ready.join();
    }

    String bootstrap() {
        return "127.0.0.1:" + port;
    }

    long pid() {
        return process.pid();
    }

    /** SIGKILL: no shutdown hook runs, nothing is flushed. */
    void kill9() {
        process.destroyForcibly();
        waitFor(Duration.ofSeconds(30));
    }

    /** SIGTERM: a clean shutdown. Returns the exit code. */
    int stop() {
        process.destroy();
        return waitFor(Duration.ofSeconds(30));
    }

    private int waitFor(Duration d) {
        try {
            if (!process.waitFor(d.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor();
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            kill9();
        }
    }
}
