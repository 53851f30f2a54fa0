package io.strata.storage.node;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Properties;
import java.util.UUID;

/**
 * The node's identity on disk: {@code meta.properties} in every log dir holds
 * {@code version=1}, {@code node.id} and {@code instance.id} (a UUID made on first start).
 * A log dir that belongs to another node id is refused, so a misconfigured node cannot serve
 * someone else's data; the instance id lets coordination tell a restarted node (same id, same
 * instance) from a second process claiming the same node id.
 */
public record NodeIdentity(int nodeId, String instanceId) {

    static final String FILE = "meta.properties";

    /** Reads or creates the identity in every log dir; all dirs must agree. */
    public static NodeIdentity loadOrCreate(int nodeId, List<Path> logDirs) {
        String instanceId = null;
        for (Path dir : logDirs) {
            Path file = dir.resolve(FILE);
            if (!Files.exists(file)) {
                continue;
            }
            Properties p = read(file);
            int stored = Integer.parseInt(p.getProperty("node.id", "-1"));
            if (stored != nodeId) {
                throw new IllegalStateException("log dir " + dir + " belongs to node " + stored + " but strata.node.id="
                        + nodeId + ": point strata.log.dirs at this node's own directories");
            }
            String id = p.getProperty("instance.id");
            if (instanceId != null && id != null && !id.equals(instanceId)) {
                throw new IllegalStateException("log dirs " + logDirs + " hold different instance ids (" + instanceId
                        + ", " + id + "): they come from different nodes");
            }
            instanceId = id;
        }
        if (instanceId == null) {
            instanceId = UUID.randomUUID().toString();
        }
        NodeIdentity identity = new NodeIdentity(nodeId, instanceId);
        for (Path dir : logDirs) {
            if (!Files.exists(dir.resolve(FILE))) {
                identity.write(dir);
            }
        }
        return identity;
    }

    private static Properties read(Path file) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return p;
    }

    private void write(Path dir) {
        try {
            Files.createDirectories(dir);
            Path tmp = dir.resolve(FILE + ".tmp");
            try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                w.write("version=1\nnode.id=" + nodeId + "\ninstance.id=" + instanceId + "\n");
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve(FILE), e);
        }
    }
}
