package io.strata.cli.cluster;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * A cluster of local processes in one directory: etcd, coordination, storage nodes, replication
 * controllers and ingestion, each its own process on 127.0.0.1, described by {@code DIR/cluster.json}.
 *
 * <p>{@link #up} is idempotent: it starts what is not running (a fresh cluster, a process that
 * was killed, nodes added with a larger count) and leaves running processes alone. A restarted
 * process keeps its ports, id and data directory, so the cluster comes back with its data.
 * {@link #kill} and {@link #start} do the same to one process, for fault tests and operators.
 * Every change of cluster.json happens under its lock ({@link ClusterManifest#locked}).
 */
public final class LocalCluster {

    /** How long {@link #down} waits for a clean shutdown before SIGKILL. */
    static final Duration STOP_GRACE = Duration.ofSeconds(30);

    private final Path dir;
    private final PrintWriter progress;
    private final HealthProbe health = new HealthProbe();

    /**
     * @param dir      the cluster directory
     * @param progress where progress lines go (stderr: stdout carries only results)
     */
    public LocalCluster(Path dir, PrintWriter progress) {
        this.dir = dir.toAbsolutePath().normalize();
        this.progress = progress;
    }

    /** The manifest, or an error saying there is no cluster in the directory. */
    public ClusterManifest manifest() {
        return ClusterManifest.read(dir).orElseThrow(() -> new IllegalArgumentException(
                "no cluster in " + dir + " (no " + ClusterManifest.FILE_NAME + "): start one with `strata cluster up --dir "
                        + dir + "`"));
    }

    /**
     * Brings the cluster up: plans it on first use, then starts every process that is not
     * running, role by role in {@link ManagedProcess#ROLES} order, each role only once the
     * previous one is ready.
     *
     * @return the manifest of the running cluster
     */
    public ClusterManifest up(ClusterSize size, Optional<Long> sessionTimeoutMs, RoleCommands commands, Duration readyTimeout) {
        createDirectories(dir);
        ClusterManifest planned = ClusterManifest.locked(dir, () -> {
            ClusterManifest m = plan(ClusterManifest.read(dir), size, sessionTimeoutMs);
            m.write(dir);
            return m;
        });
        List<ManagedProcess> startedNow = new ArrayList<>();
        try {
            for (String role : ManagedProcess.ROLES) {
                List<ManagedProcess> stage = new ArrayList<>();
                for (ManagedProcess p : planned.ofRole(role)) {
                    Optional<ManagedProcess> started = startUnlessRunning(p.name(), () -> commands);
                    started.ifPresent(startedNow::add);
                    stage.add(started.orElseGet(() -> manifest().process(p.name())));
                }
                awaitReady(stage, readyTimeout);
            }
            return manifest();
        } catch (RuntimeException e) {
            stopAfterFailure(startedNow);
            throw e;
        }
    }

    /**
     * Starts one process again, as {@link #up} would (same ports, id, data directory and session
     * timeout, the new pid recorded in cluster.json), and waits until it is ready. A process that
     * is not ready within {@code readyTimeout} is stopped again.
     *
     * @param id       a storage node id or a process name ({@link ClusterManifest#process(String)})
     * @param commands asked only when the process must be started
     * @return the started process; empty when it was running already (nothing is done)
     */
    public Optional<ManagedProcess> start(String id, Supplier<RoleCommands> commands, Duration readyTimeout) {
        String name = manifest().process(id).name();
        Optional<ManagedProcess> started = startUnlessRunning(name, commands);
        try {
            started.ifPresent(p -> awaitReady(List.of(p), readyTimeout));
        } catch (RuntimeException e) {
            stopAfterFailure(started.stream().toList());
            throw e;
        }
        return started;
    }

    /**
     * Kills one process with SIGKILL (a crash: no clean shutdown, no session ended) and waits
     * until it is gone. cluster.json keeps its entry, so {@link #start} or {@link #up} brings it back.
     *
     * @param id a storage node id or a process name ({@link ClusterManifest#process(String)})
     * @return the process as it was, with the pid killed; empty when it was not running
     * @throws IllegalStateException when it is still there after {@code exitTimeout}
     */
    public Optional<ManagedProcess> kill(String id, Duration exitTimeout) {
        ManagedProcess p = manifest().process(id);
        return LocalProcesses.kill(p, exitTimeout) ? Optional.of(p) : Optional.empty();
    }

    /**
     * Stops every running process of the cluster, in the reverse of {@link ManagedProcess#ROLES}:
     * ingestion first (it sends what it buffered to the storage nodes), then groups, replication, storage,
     * coordination, and etcd last. Returns the names of those stopped.
     */
    public List<String> down() {
        ClusterManifest manifest = manifest();
        List<String> stopped = new ArrayList<>();
        for (String role : ManagedProcess.ROLES.reversed()) {
            List<ManagedProcess> running = manifest.ofRole(role).stream().filter(LocalProcesses::isAlive).toList();
            List<String> killed = LocalProcesses.stop(running, STOP_GRACE);
            for (ManagedProcess p : running) {
                stopped.add(p.name());
                progress.println("stopped " + p.name() + " (pid " + p.pid() + ")"
                        + (killed.contains(p.name()) ? ": killed after " + STOP_GRACE.toSeconds() + " s without exiting" : ""));
            }
            progress.flush();
        }
        return stopped;
    }

    /**
     * Holding the manifest lock: starts the named process unless it runs, and records its new pid.
     * Returns the started process, empty when it was running.
     */
    private Optional<ManagedProcess> startUnlessRunning(String name, Supplier<RoleCommands> commands) {
        return ClusterManifest.locked(dir, () -> {
            ClusterManifest manifest = manifest();
            ManagedProcess p = manifest.process(name);
            if (LocalProcesses.isAlive(p)) {
                return Optional.empty();
            }
            String etcdEndpoints = manifest.ofRole(ManagedProcess.ETCD).stream()
                    .map(e -> "http://127.0.0.1:" + e.port("client")).collect(Collectors.joining(","));
            createDirectories(Path.of(p.dataDir()));
            long pid = LocalProcesses.startDetached(commands.get().command(p, manifest.bootstrap(), etcdEndpoints,
                    manifest.sessionTimeoutMs()), Path.of(p.log()));
            ManagedProcess started = p.withPid(pid);
            manifest.with(started).write(dir);
            progress.println("started " + started.name() + " (pid " + pid + ", log " + started.log() + ")");
            progress.flush();
            return Optional.of(started);
        });
    }

    private void stopAfterFailure(List<ManagedProcess> startedNow) {
        if (!startedNow.isEmpty()) {
            progress.println("stopping what this command started: "
                    + startedNow.stream().map(ManagedProcess::name).collect(Collectors.joining(", ")));
            progress.flush();
            LocalProcesses.stop(startedNow, Duration.ofSeconds(10));
        }
    }

    /** Whether the process is running. */
    public boolean isAlive(ManagedProcess p) {
        return LocalProcesses.isAlive(p);
    }

    private void awaitReady(List<ManagedProcess> stage, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<ManagedProcess> waiting = new ArrayList<>(stage);
        while (!waiting.isEmpty()) {
            for (ManagedProcess p : List.copyOf(waiting)) {
                if (!LocalProcesses.isAlive(p)) {
                    throw new IllegalStateException(p.name() + " (pid " + p.pid() + ") exited while starting; the end of "
                            + p.log() + ":\n" + tail(Path.of(p.log()), 15));
                }
                if (health.isReady(p)) {
                    waiting.remove(p);
                }
            }
            if (waiting.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                ManagedProcess p = waiting.getFirst();
                throw new IllegalStateException(p.name() + " (pid " + p.pid() + ") was not ready within "
                        + timeout.toSeconds() + " s; the end of " + p.log() + ":\n" + tail(Path.of(p.log()), 15));
            }
            sleep(Duration.ofMillis(200));
        }
    }

    /** What the cluster should be: {@code existing} with whatever {@code size} adds, new processes on free ports. */
    ClusterManifest plan(Optional<ClusterManifest> existing, ClusterSize size, Optional<Long> sessionTimeoutMs) {
        Set<Integer> taken = new HashSet<>();
        existing.ifPresent(m -> m.processes().forEach(p -> taken.addAll(p.ports().values())));
        List<ManagedProcess> processes = new ArrayList<>(existing.map(ClusterManifest::processes).orElse(List.of()));
        int haveStorage = count(processes, ManagedProcess.STORAGE);
        if (existing.isPresent() && size.storage().isPresent() && size.storage().get() < haveStorage) {
            throw new IllegalArgumentException("the cluster in " + dir + " has " + haveStorage
                    + " storage nodes; it cannot shrink to " + size.storage().get()
                    + " (stop it with `strata cluster down` and remove the directory to start over)");
        }
        int wantStorage = size.storage().orElse(existing.isPresent() ? haveStorage : ClusterSize.DEFAULT_STORAGE_NODES);
        // Counts not asked for: what the cluster was planned with, else (a new cluster, or a cluster.json
        // from before that record, which then gets the roles it lacks) the defaults.
        Map<String, Integer> planned = existing.map(ClusterManifest::roleCounts).orElse(ClusterSize.DEFAULT_ROLE_COUNTS);
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (String role : ClusterSize.DEFAULT_ROLE_COUNTS.keySet()) {
            int want = size.asked(role).orElse(planned.getOrDefault(role, ClusterSize.DEFAULT_ROLE_COUNTS.get(role)));
            counts.put(role, Math.max(want, count(processes, role)));
        }
        addMissing(processes, ManagedProcess.ETCD, 1, List.of("client", "peer"), taken);
        addMissing(processes, ManagedProcess.COORDINATION, counts.get(ManagedProcess.COORDINATION), List.of("grpc", "http"), taken);
        addMissing(processes, ManagedProcess.STORAGE, wantStorage, List.of("grpc", "http"), taken);
        addMissing(processes, ManagedProcess.REPLICATION, counts.get(ManagedProcess.REPLICATION), List.of("grpc", "http"), taken);
        addMissing(processes, ManagedProcess.GROUPS, counts.get(ManagedProcess.GROUPS), List.of("grpc", "http"), taken);
        addMissing(processes, ManagedProcess.INGESTION, counts.get(ManagedProcess.INGESTION), List.of("grpc", "http"), taken);
        // cluster.json lists processes in start order: role by role, then by id.
        processes.sort(Comparator.comparingInt((ManagedProcess p) -> roleRank(p.role())).thenComparingInt(ManagedProcess::id));
        String bootstrap = processes.stream().filter(p -> p.role().equals(ManagedProcess.COORDINATION))
                .map(p -> "127.0.0.1:" + p.port("grpc")).collect(Collectors.joining(","));
        // A restarted process gets the session timeout the cluster was brought up with, unless a new one is given.
        Long session = sessionTimeoutMs.or(() -> existing.map(ClusterManifest::sessionTimeoutMs)).orElse(null);
        return new ClusterManifest(bootstrap, processes, session, counts);
    }

    private static int roleRank(String role) {
        int rank = ManagedProcess.ROLES.indexOf(role);
        return rank < 0 ? ManagedProcess.ROLES.size() : rank;
    }

    private void addMissing(List<ManagedProcess> processes, String role, int want, List<String> portNames, Set<Integer> taken) {
        for (int id = count(processes, role) + 1; id <= want; id++) {
            Map<String, Integer> ports = new LinkedHashMap<>();
            for (String name : portNames) {
                ports.put(name, freePort(taken));
            }
            String name = role + "-" + id;
            processes.add(new ManagedProcess(role, id, 0, ports, dir.resolve(name).toString(),
                    dir.resolve("logs").resolve(name + ".log").toString()));
        }
    }

    private static int count(List<ManagedProcess> processes, String role) {
        return (int) processes.stream().filter(p -> p.role().equals(role)).count();
    }

    private static int freePort(Set<Integer> taken) {
        for (int attempt = 0; attempt < 100; attempt++) {
            try (ServerSocket s = new ServerSocket(0)) {
                if (taken.add(s.getLocalPort())) {
                    return s.getLocalPort();
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot find a free port", e);
            }
        }
        throw new IllegalStateException("cannot find a free port");
    }

    private static void createDirectories(Path d) {
        try {
            Files.createDirectories(d);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + d, e);
        }
    }

    static String tail(Path log, int lines) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the cluster", e);
        }
    }
}
