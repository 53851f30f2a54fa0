package io.strata.storage.log;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The {@code partition.metadata} file: which topic incarnation a partition directory belongs to,
 * so that a re-created topic of the same name does not inherit the old data. Kafka's format,
 * UTF-8 text, written atomically ({@link AtomicFiles}):
 *
 * <pre>
 * version: 0
 * topic_id: &lt;topic id&gt;
 * </pre>
 *
 * Reading accepts only version 0; an unreadable file reads as "no topic id".
 */
final class PartitionMetadataFile {

    static final String FILE_NAME = "partition.metadata";
    static final int VERSION = 0;

    private PartitionMetadataFile() {
    }

    static void write(Path partitionDir, String topicId) throws IOException {
        if (topicId.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("topic id with a newline");
        }
        AtomicFiles.writeString(partitionDir.resolve(FILE_NAME), "version: " + VERSION + "\ntopic_id: " + topicId + "\n");
    }

    /** The topic id, or empty when the file is missing or malformed. */
    static Optional<String> read(Path partitionDir) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(partitionDir.resolve(FILE_NAME));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        if (lines.size() < 2 || !lines.get(0).trim().equals("version: " + VERSION)
                || !lines.get(1).startsWith("topic_id:")) {
            return Optional.empty();
        }
        return Optional.of(lines.get(1).substring("topic_id:".length()).trim());
    }
}
