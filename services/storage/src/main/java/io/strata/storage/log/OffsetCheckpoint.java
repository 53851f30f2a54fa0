package io.strata.storage.log;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A per-log-dir checkpoint of one offset per partition, in Kafka's text format (UTF-8, written
 * atomically with {@link AtomicFiles}). Two files use it:
 * <ul>
 *   <li>{@value #RECOVERY_POINT_FILE}: the recovery point, below which everything is fsynced, so
 *       recovery after a crash starts there;</li>
 *   <li>{@value #HIGH_WATERMARK_FILE}: the high watermark, below which every batch is committed.</li>
 * </ul>
 *
 * <pre>
 * 0                                  version
 * &lt;count&gt;                            number of lines that follow
 * &lt;topic&gt; &lt;partition&gt; &lt;offset&gt;      one line per partition
 * </pre>
 *
 * A missing file reads as empty (recover everything; high watermarks at the log start); a
 * malformed one is an {@link IOException} that the caller handles the same way, after logging it.
 */
final class OffsetCheckpoint {

    static final String RECOVERY_POINT_FILE = "recovery-point-offset-checkpoint";
    static final String HIGH_WATERMARK_FILE = "replication-offset-checkpoint";
    static final int VERSION = 0;

    private OffsetCheckpoint() {
    }

    static void write(Path file, Map<TopicPartition, Long> offsets) throws IOException {
        StringBuilder sb = new StringBuilder(32 + offsets.size() * 32);
        sb.append(VERSION).append('\n').append(offsets.size()).append('\n');
        offsets.forEach((tp, offset) -> sb.append(tp.topic()).append(' ').append(tp.partition()).append(' ')
                .append(offset).append('\n'));
        AtomicFiles.writeString(file, sb.toString());
    }

    static Map<TopicPartition, Long> read(Path file) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (NoSuchFileException e) {
            return Map.of();
        }
        try {
            if (lines.size() < 2 || Integer.parseInt(lines.get(0).trim()) != VERSION) {
                throw new IOException("bad version line in " + file);
            }
            int count = Integer.parseInt(lines.get(1).trim());
            if (count < 0 || lines.size() < 2 + count) {
                throw new IOException("expected " + count + " entries in " + file);
            }
            Map<TopicPartition, Long> result = new HashMap<>();
            for (int i = 2; i < 2 + count; i++) {
                String[] f = lines.get(i).trim().split(" ");
                if (f.length != 3) {
                    throw new IOException("malformed line " + (i + 1) + " in " + file);
                }
                result.put(new TopicPartition(f[0], Integer.parseInt(f[1])), Long.parseLong(f[2]));
            }
            return result;
        } catch (IllegalArgumentException e) {
            throw new IOException("malformed " + file + ": " + e.getMessage(), e);
        }
    }
}
