package io.strata.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.strata.proto.v1.CoordinationGrpc;
import io.strata.proto.v1.ObserveRequest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;

/**
 * A local cluster started by {@code bin/strata cluster up --dir DIR}, seen through its
 * {@code cluster.json} and {@code cluster status --output json}, as a user's script sees it.
 */
final class LocalClusterDir implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final Map<String, String> env;
    private ManagedChannel coordination;

    LocalClusterDir(Path dir) {
        this(dir, Map.of());
    }

    /**
     * @param env environment variables for every {@code cluster} command, e.g. {@code STRATA_JAVA_OPTS},
     *            which {@code cluster up} and {@code cluster start} pass to the roles they start
     */
    LocalClusterDir(Path dir, Map<String, String> env) {
        this.dir = dir;
        this.env = Map.copyOf(env);
    }

    Path dir() {
        return dir;
    }

    /** Runs {@code strata cluster <args> --dir DIR}. */
    Cli.Result cluster(String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("cluster"));
        all.addAll(List.of(args));
        all.add("--dir");
        all.add(dir.toString());
        return Cli.runWithEnv(env, null, all.toArray(String[]::new));
    }

    JsonNode manifest() {
        try {
            return JSON.readTree(dir.resolve("cluster.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String bootstrap() {
        return manifest().get("bootstrap").asText();
    }

    /** The cluster.json entry of a process. */
    JsonNode process(String role, int id) {
        return find(manifest(), role, id).orElseThrow(() -> new AssertionError("no " + role + "-" + id + " in cluster.json"));
    }

    long pid(String role, int id) {
        return process(role, id).get("pid").asLong();
    }

    /** A process's gRPC port, from cluster.json. */
    int grpcPort(String role, int id) {
        return process(role, id).get("ports").get("grpc").asInt();
    }

    /** A process's data directory, from cluster.json. */
    Path dataDir(String role, int id) {
        return Path.of(process(role, id).get("dataDir").asText());
    }

    /**
     * A plaintext gRPC channel to the first coordination instance of {@link #bootstrap()}, opened
     * on first use (after {@code cluster up}) and shut down by {@link #close()}.
     */
    synchronized ManagedChannel coordinationChannel() {
        if (coordination == null) {
            String first = bootstrap().split(",")[0];
            int colon = first.lastIndexOf(':');
            coordination = NettyChannelBuilder.forAddress(first.substring(0, colon),
                    Integer.parseInt(first.substring(colon + 1))).usePlaintext().build();
        }
        return coordination;
    }

    /**
     * Which process of {@code role} (its id in cluster.json) leads coordination's election
     * {@code election} ({@code replication}, {@code groups}): the first event of Observe names the
     * leader by its candidate id, the instance's advertised host:port, matched here against the
     * gRPC ports in cluster.json. Empty while nobody leads.
     */
    OptionalInt electionLeader(String election, String role) throws Exception {
        String leaderId;
        try (Context.CancellableContext observing = Context.current().withCancellation()) {
            leaderId = observing.call(() -> CoordinationGrpc.newBlockingStub(coordinationChannel())
                    .withDeadlineAfter(5, TimeUnit.SECONDS)
                    .observe(ObserveRequest.newBuilder().setElection(election).build()).next().getLeaderId());
        }
        for (JsonNode p : manifest().get("processes")) {
            if (p.get("role").asText().equals(role) && leaderId.endsWith(":" + p.get("ports").get("grpc").asInt())) {
                return OptionalInt.of(p.get("id").asInt());
            }
        }
        return OptionalInt.empty();
    }

    /** Whether the pid cluster.json records for a process is alive. */
    boolean alive(String role, int id) {
        return ProcessHandle.of(pid(role, id)).map(ProcessHandle::isAlive).orElse(false);
    }

    /** {@code cluster status --output json}, parsed; fails the test when the command fails. */
    JsonNode status() throws Exception {
        Cli.Result r = cluster("status", "--output", "json");
        if (r.exitCode() != 0) {
            throw new AssertionError("cluster status failed: " + r.stderr());
        }
        return JSON.readTree(r.stdout());
    }

    /** One process's entry of {@code cluster status --output json}. */
    JsonNode statusOf(String role, int id) throws Exception {
        return find(status(), role, id).orElseThrow(() -> new AssertionError("no " + role + "-" + id + " in status"));
    }

    private static Optional<JsonNode> find(JsonNode doc, String role, int id) {
        return StreamSupport.stream(doc.get("processes").spliterator(), false)
                .filter(p -> p.get("role").asText().equals(role) && p.get("id").asInt() == id)
                .findFirst();
    }

    /** Sends a signal (STOP, CONT, KILL, ...) to a process with the kill command, as a user would. */
    static void signal(long pid, String signal) throws Exception {
        Process p = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new AssertionError("kill -" + signal + " " + pid + " failed");
        }
    }

    /**
     * Shuts the coordination channel down, then {@code cluster down}; if that fails, SIGKILL
     * whatever cluster.json names, so no test leaves processes behind.
     */
    @Override
    public void close() throws Exception {
        synchronized (this) {
            if (coordination != null) {
                coordination.shutdownNow();
            }
        }
        Cli.Result r = cluster("down");
        if (r.exitCode() != 0 && dir.resolve("cluster.json").toFile().exists()) {
            for (JsonNode p : manifest().get("processes")) {
                long pid = p.get("pid").asLong();
                if (pid > 0) {
                    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                }
            }
        }
    }
}
