package io.strata.cli.cluster;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The command line of each role's process: etcd from the PATH, the Strata roles as their
 * packaged Quarkus apps under the Strata home, run by the JDK that runs this CLI.
 *
 * @param strataHome       the project root ({@code bin/strata} passes it as {@code strata.home})
 * @param java             the {@code java} binary
 * @param etcd             the {@code etcd} binary
 * @param extraJvmOptions  from {@code STRATA_JAVA_OPTS}
 */
public record RoleCommands(Path strataHome, Path java, Path etcd, List<String> extraJvmOptions) {

    /** Finds everything the roles need, or fails with what is missing and how to get it. */
    public static RoleCommands discover(String extraJvmOptions) {
        Path home = locateStrataHome();
        for (String role : List.of(ManagedProcess.COORDINATION, ManagedProcess.STORAGE, ManagedProcess.REPLICATION,
                ManagedProcess.GROUPS, ManagedProcess.INGESTION)) {
            Path jar = appJar(home, role);
            if (!Files.isRegularFile(jar)) {
                throw new IllegalStateException(jar + " is missing: build the project first (./mvnw install -DskipTests)");
            }
        }
        Path java = ProcessHandle.current().info().command().map(Path::of)
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java"));
        List<String> extra = extraJvmOptions == null || extraJvmOptions.isBlank()
                ? List.of() : Arrays.asList(extraJvmOptions.trim().split("\\s+"));
        return new RoleCommands(home, java, findEtcd(), extra);
    }

    /**
     * @param coordinationEndpoints what storage nodes, replication controllers, groups coordinators and ingestion connect to
     * @param etcdEndpoints         what coordination connects to
     * @param sessionTimeoutMs      {@code strata.session.timeout.ms} for the Strata roles, null for their default
     */
    List<String> command(ManagedProcess p, String coordinationEndpoints, String etcdEndpoints, Long sessionTimeoutMs) {
        return switch (p.role()) {
            case ManagedProcess.ETCD -> etcd(p);
            case ManagedProcess.COORDINATION -> {
                List<String> c = jvm(p, sessionTimeoutMs);
                c.add("-Dstrata.metadata.store=etcd");
                c.add("-Dstrata.metadata.endpoints=" + etcdEndpoints);
                yield app(c, p);
            }
            case ManagedProcess.STORAGE -> {
                List<String> c = jvm(p, sessionTimeoutMs);
                c.add("-Dstrata.node.id=" + p.id());
                c.add("-Dstrata.coordination.endpoints=" + coordinationEndpoints);
                yield app(c, p);
            }
            case ManagedProcess.REPLICATION -> {
                List<String> c = jvm(p, sessionTimeoutMs);
                c.add("-Dstrata.replication.instance.id=" + p.name());
                c.add("-Dstrata.coordination.endpoints=" + coordinationEndpoints);
                yield app(c, p);
            }
            case ManagedProcess.GROUPS -> {
                List<String> c = jvm(p, sessionTimeoutMs);
                c.add("-Dstrata.groups.instance.id=" + p.name());
                c.add("-Dstrata.coordination.endpoints=" + coordinationEndpoints);
                yield app(c, p);
            }
            case ManagedProcess.INGESTION -> {
                List<String> c = jvm(p, sessionTimeoutMs);
                c.add("-Dstrata.ingestion.instance.id=" + p.name());
                c.add("-Dstrata.coordination.endpoints=" + coordinationEndpoints);
                yield app(c, p);
            }
            default -> throw new IllegalStateException("cluster.json names an unknown role '" + p.role() + "'");
        };
    }

    private List<String> etcd(ManagedProcess p) {
        String client = "http://127.0.0.1:" + p.port("client");
        String peer = "http://127.0.0.1:" + p.port("peer");
        String name = "strata-" + p.name();
        return List.of(etcd.toString(),
                "--name", name,
                "--data-dir", p.dataDir(),
                "--listen-client-urls", client,
                "--advertise-client-urls", client,
                "--listen-peer-urls", peer,
                "--initial-advertise-peer-urls", peer,
                "--initial-cluster", name + "=" + peer,
                "--initial-cluster-state", "new",
                "--logger", "zap",
                "--log-level", "warn");
    }

    /**
     * The garbage collector settings of every server role: Kafka's broker defaults
     * ({@code kafka-run-class.sh}). G1 with a 20 ms pause goal keeps collections short instead of
     * the JVM's default 200 ms goal, whose longer young pauses show up in acks=all tail latency
     * (every write waits for three JVMs).
     */
    public static final List<String> SERVER_GC_OPTIONS = List.of("-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
            "-XX:InitiatingHeapOccupancyPercent=35", "-XX:+ExplicitGCInvokesConcurrent");

    private List<String> jvm(ManagedProcess p, Long sessionTimeoutMs) {
        List<String> c = new ArrayList<>();
        c.add(java.toString());
        if (Runtime.version().feature() >= 23) {
            c.add("--sun-misc-unsafe-memory-access=allow"); // Netty and lz4 use sun.misc.Unsafe
        }
        c.add("--enable-native-access=ALL-UNNAMED");
        c.addAll(SERVER_GC_OPTIONS);
        c.addAll(extraJvmOptions); // after ours: the JVM takes the last of a repeated flag
        c.add("-Dstrata.data.dir=" + p.dataDir());
        c.add("-Dstrata.listeners=127.0.0.1:" + p.port("grpc"));
        c.add("-Dquarkus.http.host=127.0.0.1");
        c.add("-Dquarkus.http.port=" + p.port("http"));
        if (sessionTimeoutMs != null) {
            c.add("-Dstrata.session.timeout.ms=" + sessionTimeoutMs);
        }
        return c;
    }

    private List<String> app(List<String> c, ManagedProcess p) {
        c.add("-jar");
        c.add(appJar(strataHome, p.role()).toString());
        return c;
    }

    private static Path appJar(Path home, String role) {
        return home.resolve("services").resolve(role).resolve("target/quarkus-app/quarkus-run.jar");
    }

    /** {@code strata.home}, else three levels above the CLI jar ({@code cli/target/strata-cli.jar}). */
    private static Path locateStrataHome() {
        String prop = System.getProperty("strata.home");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop).toAbsolutePath().normalize();
        }
        try {
            Path jar = Path.of(RoleCommands.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return jar.getParent().getParent().getParent();
        } catch (Exception e) {
            throw new IllegalStateException("cannot tell where Strata is installed: set -Dstrata.home", e);
        }
    }

    private static Path findEtcd() {
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
        Optional<Path> found = Arrays.stream(path.split(File.pathSeparator))
                .filter(d -> !d.isEmpty())
                .map(d -> Path.of(d, "etcd"))
                .filter(Files::isExecutable)
                .findFirst();
        return found.or(() -> Optional.of(Path.of("/usr/bin/etcd")).filter(Files::isExecutable))
                .orElseThrow(() -> new IllegalStateException("etcd was not found on the PATH ("
                        + Arrays.stream(path.split(File.pathSeparator)).collect(Collectors.joining(", "))
                        + "): install etcd 3.4 or newer, e.g. `apt-get install etcd-server`"));
    }
}
