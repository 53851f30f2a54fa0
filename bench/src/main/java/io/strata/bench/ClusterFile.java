package io.strata.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code cluster.json} that {@code bin/strata cluster up --dir DIR} writes into DIR: how to
 * reach the cluster and which process is which.
 *
 * <pre>{@code
 * {"bootstrap": "127.0.0.1:40001",                       // comma-separated host:port of coordination
 *  "processes": [
 *    {"role": "etcd", "id": 1, "pid": 1234, "ports": {"client": 40010, "peer": 40011},
 *     "dataDir": "/abs/DIR/etcd-1", "log": "/abs/DIR/logs/etcd-1.log"},
 *    {"role": "coordination", "id": 1, "pid": 1235, "ports": {"grpc": 40001, "http": 40002}, ...},
 *    {"role": "storage", "id": 1, "pid": 1236, "ports": {"grpc": 40003, "http": 40004}, ...}]}
 * }</pre>
 *
 * Fields this class does not know are ignored, so the file may grow.
 */
public record ClusterFile(List<String> bootstrap, List<ClusterProcess> processes) {

    /** The file's name inside a cluster directory. */
    public static final String NAME = "cluster.json";

    /** One process of the cluster; {@code id} is the node id for storage. */
    public record ClusterProcess(String role, int id, long pid, Map<String, Integer> ports, String dataDir, String log) {
    }

    /** A {@code host:port}. */
    public record HostPort(String host, int port) {

        static HostPort parse(String text) {
            int colon = text.lastIndexOf(':');
            if (colon <= 0 || colon == text.length() - 1) {
                throw new IllegalArgumentException("not host:port: '" + text + "'");
            }
            return new HostPort(text.substring(0, colon), Integer.parseInt(text.substring(colon + 1)));
        }

        @Override
        public String toString() {
            return host + ":" + port;
        }
    }

    public ClusterFile {
        bootstrap = List.copyOf(bootstrap);
        processes = List.copyOf(processes);
        if (bootstrap.isEmpty()) {
            throw new IllegalArgumentException("cluster file: empty bootstrap");
        }
    }

    /** Reads {@code dir/cluster.json}. */
    public static ClusterFile read(Path dir) throws IOException {
        Path file = dir.resolve(NAME);
        try {
            return parse(Files.readString(file));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /** Parses the file's text. */
    public static ClusterFile parse(String json) throws IOException {
        JsonNode root = new ObjectMapper().readTree(json);
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("not a JSON object");
        }
        List<String> bootstrap = new ArrayList<>();
        for (String part : required(root, "bootstrap").asText().split(",")) {
            if (!part.isBlank()) {
                bootstrap.add(part.strip());
            }
        }
        List<ClusterProcess> processes = new ArrayList<>();
        for (JsonNode p : required(root, "processes")) {
            Map<String, Integer> ports = new LinkedHashMap<>();
            JsonNode portsNode = p.path("ports");
            portsNode.fieldNames().forEachRemaining(name -> ports.put(name, portsNode.get(name).asInt()));
            processes.add(new ClusterProcess(required(p, "role").asText(), required(p, "id").asInt(), required(p, "pid").asLong(),
                    Map.copyOf(ports), p.path("dataDir").asText(""), p.path("log").asText("")));
        }
        return new ClusterFile(bootstrap, processes);
    }

    private static JsonNode required(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw new IllegalArgumentException("missing field '" + field + "' in " + node);
        }
        return value;
    }

    /** The first bootstrap address: the coordination instance the bench talks to. */
    public HostPort coordination() {
        return HostPort.parse(bootstrap.get(0));
    }

    /** Every process of {@code role}, in file order. */
    public List<ClusterProcess> ofRole(String role) {
        return processes.stream().filter(p -> p.role().equals(role)).toList();
    }

    /** The storage process with node id {@code nodeId}. */
    public Optional<ClusterProcess> storage(int nodeId) {
        return ofRole("storage").stream().filter(p -> p.id() == nodeId).findFirst();
    }
}
