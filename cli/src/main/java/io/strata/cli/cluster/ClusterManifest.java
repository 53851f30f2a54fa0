package io.strata.cli.cluster;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * {@code DIR/cluster.json}: what {@code strata cluster up} started, so that {@code down} and
 * {@code status} (and users' scripts) find every process. {@code bootstrap} is what
 * {@code --bootstrap} takes for every other command.
 *
 * @param bootstrap        the coordination endpoints, {@code host:port}, comma-separated when several
 * @param processes        every process, in start order
 * @param sessionTimeoutMs the storage nodes' session timeout given to {@code cluster up}, kept so a
 *                         restarted node gets the same; null for the role's default
 * @param roleCounts       how many processes of each role but etcd and storage the cluster was
 *                         planned with ({@code coordination}, {@code replication}, {@code groups},
 *                         {@code ingestion}), so a later {@code cluster up} without those flags keeps
 *                         them; null in a cluster.json from before this field (that cluster gets
 *                         the default counts of the roles it lacks)
 */
@JsonPropertyOrder({"bootstrap", "processes", "sessionTimeoutMs", "roleCounts"})
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ClusterManifest(String bootstrap, List<ManagedProcess> processes, Long sessionTimeoutMs,
                              Map<String, Integer> roleCounts) {

    /** The file name inside the cluster directory. */
    public static final String FILE_NAME = "cluster.json";
    private static final String LOCK_FILE = ".cluster.lock";

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public ClusterManifest {
        processes = List.copyOf(processes);
        roleCounts = roleCounts == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(roleCounts));
    }

    public ClusterManifest(String bootstrap, List<ManagedProcess> processes) {
        this(bootstrap, processes, null, null);
    }

    /** The processes of one role, in id order. */
    public List<ManagedProcess> ofRole(String role) {
        return processes.stream().filter(p -> p.role().equals(role)).toList();
    }

    /**
     * The process a user names: a storage node id as {@code topic describe} shows it ({@code 2}),
     * or a process name as {@link ManagedProcess#name()} gives it ({@code replication-1}).
     *
     * @throws IllegalArgumentException naming the valid ids when no process matches
     */
    public ManagedProcess process(String id) {
        String wanted = id.trim();
        Optional<ManagedProcess> found;
        if (wanted.matches("\\d{1,9}")) {
            int nodeId = Integer.parseInt(wanted);
            found = ofRole(ManagedProcess.STORAGE).stream().filter(p -> p.id() == nodeId).findFirst();
        } else {
            int dash = wanted.lastIndexOf('-');
            String role = dash > 0 ? wanted.substring(0, dash) : "";
            String number = dash > 0 ? wanted.substring(dash + 1) : "";
            found = number.matches("\\d{1,9}")
                    ? processes.stream().filter(p -> p.role().equals(role) && p.id() == Integer.parseInt(number)).findFirst()
                    : Optional.empty();
        }
        return found.orElseThrow(() -> new IllegalArgumentException("no node '" + id + "' in this cluster: give a storage node id ("
                + ofRole(ManagedProcess.STORAGE).stream().map(p -> Integer.toString(p.id())).collect(Collectors.joining(", "))
                + ") or a process name (" + processes.stream().map(ManagedProcess::name).collect(Collectors.joining(", ")) + ")"));
    }

    /** The same manifest with {@code updated} in place of the process of the same role and id. */
    public ClusterManifest with(ManagedProcess updated) {
        List<ManagedProcess> list = new ArrayList<>(processes);
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i).role().equals(updated.role()) && list.get(i).id() == updated.id()) {
                list.set(i, updated);
                return new ClusterManifest(bootstrap, list, sessionTimeoutMs, roleCounts);
            }
        }
        list.add(updated);
        return new ClusterManifest(bootstrap, list, sessionTimeoutMs, roleCounts);
    }

    /** The manifest in {@code dir}, if there is one. */
    public static Optional<ClusterManifest> read(Path dir) {
        Path file = dir.resolve(FILE_NAME);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(MAPPER.readValue(file.toFile(), ClusterManifest.class));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Runs {@code action} holding {@code DIR/.cluster.lock}, an exclusive lock between CLI
     * processes, so read-check-start-write sequences on the same cluster (two {@code cluster start}
     * at once, {@code start} beside {@code up}) neither start a process twice nor lose a pid.
     */
    static <T> T locked(Path dir, Supplier<T> action) {
        Path lockFile = dir.resolve(LOCK_FILE);
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = channel.lock()) {
            return action.get();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lock " + lockFile, e);
        }
    }

    /** Writes the manifest to {@code dir} atomically: readers see the old or the new file, never half. */
    public void write(Path dir) {
        Path file = dir.resolve(FILE_NAME);
        Path tmp = dir.resolve(FILE_NAME + ".tmp");
        try {
            Files.writeString(tmp, toJson() + "\n");
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** The JSON document. */
    public String toJson() {
        try {
            return MAPPER.writeValueAsString(this);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ClusterManifest fromJson(String json) {
        try {
            return MAPPER.readValue(json, ClusterManifest.class);
        } catch (IOException e) {
            throw new IllegalArgumentException("not a cluster.json: " + e.getMessage(), e);
        }
    }
}
