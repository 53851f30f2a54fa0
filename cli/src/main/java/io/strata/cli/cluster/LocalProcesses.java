package io.strata.cli.cluster;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Starts, recognises and stops the detached processes of a local cluster.
 *
 * <p>A process is started under {@code setsid}: in a session of its own it outlives the CLI and
 * the terminal (no SIGINT from Ctrl-C, no SIGHUP when the terminal closes). {@code setsid} execs
 * the program in place, so the pid is the program's own. A pid is recognised as ours only while
 * that process's command line still names its data directory, so a recycled pid is never signalled.
 */
final class LocalProcesses {

    private static final Path SETSID = Path.of("/usr/bin/setsid");

    private LocalProcesses() {
    }

    /** Starts {@code command} detached, stdin from /dev/null, stdout and stderr appended to {@code log}; returns its pid. */
    static long startDetached(List<String> command, Path log) {
        List<String> full = new ArrayList<>();
        if (Files.isExecutable(SETSID)) {
            full.add(SETSID.toString());
        }
        full.addAll(command);
        try {
            Files.createDirectories(log.getParent());
            Process p = new ProcessBuilder(full)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectErrorStream(true)
                    .start();
            return p.pid();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command.getFirst() + ": " + e.getMessage(), e);
        }
    }

    /** The running process of {@code p}: alive, and its command line names {@code p}'s data directory. */
    static Optional<ProcessHandle> running(ManagedProcess p) {
        if (p.pid() <= 0) {
            return Optional.empty();
        }
        return ProcessHandle.of(p.pid())
                .filter(ProcessHandle::isAlive)
                .filter(h -> h.info().commandLine().map(cl -> cl.contains(p.dataDir())).orElse(true));
    }

    static boolean isAlive(ManagedProcess p) {
        return running(p).isPresent();
    }

    /**
     * Kills the process with SIGKILL and waits up to {@code timeout} until it is gone.
     *
     * @return true when it was running and is gone now; false when it was not running
     * @throws IllegalStateException when it is still there after {@code timeout}
     */
    static boolean kill(ManagedProcess p, Duration timeout) {
        Optional<ProcessHandle> running = running(p);
        if (running.isEmpty()) {
            return false;
        }
        ProcessHandle h = running.get();
        h.destroyForcibly();
        try {
            h.onExit().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + p.name() + " (pid " + p.pid() + ") to exit", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException(p.name() + " (pid " + p.pid() + ") was sent SIGKILL but is still there after "
                    + timeout.toSeconds() + " s", e);
        }
    }

    /**
     * Stops the processes: SIGTERM to all of them at once (a clean shutdown: storage nodes
     * flush and end their sessions), then SIGKILL to any still running after {@code grace}.
     * Returns the names of the processes that had to be killed.
     */
    static List<String> stop(List<ManagedProcess> processes, Duration grace) {
        List<ProcessHandle> handles = new ArrayList<>();
        for (ManagedProcess p : processes) {
            running(p).ifPresent(h -> {
                h.destroy();
                handles.add(h);
            });
        }
        long deadline = System.nanoTime() + grace.toNanos();
        List<String> killed = new ArrayList<>();
        for (int i = 0; i < handles.size(); i++) {
            ProcessHandle h = handles.get(i);
            long left = Math.max(0, deadline - System.nanoTime());
            try {
                h.onExit().get(left, TimeUnit.NANOSECONDS);
            } catch (Exception notYet) {
                h.destroyForcibly();
                killed.add(processes.stream().filter(p -> p.pid() == h.pid()).findFirst()
                        .map(ManagedProcess::name).orElse("pid " + h.pid()));
                h.onExit().join();
            }
        }
        return killed;
    }
}
