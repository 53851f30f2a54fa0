package io.strata.cli.cluster;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One process of a local cluster, as {@code cluster.json} records it.
 *
 * @param role    one of {@link #ROLES}
 * @param id      the process's number within its role (the node id for storage)
 * @param pid     the role's own process (the JVM or etcd), never a launcher shell; 0 before its first start
 * @param ports   named ports ({@code grpc}, {@code http}; etcd: {@code client}, {@code peer})
 * @param dataDir where the process keeps its data
 * @param log     the file its stdout and stderr go to
 */
@JsonPropertyOrder({"role", "id", "pid", "ports", "dataDir", "log"})
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ManagedProcess(String role, int id, long pid, Map<String, Integer> ports, String dataDir, String log) {

    public static final String ETCD = "etcd";
    public static final String COORDINATION = "coordination";
    public static final String STORAGE = "storage";
    public static final String REPLICATION = "replication";
    public static final String GROUPS = "groups";
    public static final String INGESTION = "ingestion";

    /**
     * Every role, in start order: each needs the ones before it, and ingestion, the front door,
     * opens last; {@code cluster down} stops them in reverse.
     */
    public static final List<String> ROLES = List.of(ETCD, COORDINATION, STORAGE, REPLICATION, GROUPS, INGESTION);

    public ManagedProcess {
        ports = ports == null ? Map.of() : new LinkedHashMap<>(ports);
    }

    /** The same process with another pid (after a start). */
    public ManagedProcess withPid(long newPid) {
        return new ManagedProcess(role, id, newPid, ports, dataDir, log);
    }

    /** A named port; fails clearly when a hand-edited cluster.json lacks it. */
    public int port(String name) {
        Integer p = ports.get(name);
        if (p == null) {
            throw new IllegalStateException(name() + " has no '" + name + "' port in cluster.json");
        }
        return p;
    }

    /** {@code storage-2}: how messages and file names refer to the process. */
    public String name() {
        return role + "-" + id;
    }

    /** Whether the process registers with coordination (so {@code registered} applies to it). */
    public boolean registers() {
        return STORAGE.equals(role) || INGESTION.equals(role);
    }
}
