package io.strata.storage.log;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Which leader epoch started at which offset, kept in memory and in the partition's
 * {@code leader-epoch-checkpoint} file. Kafka's text format, UTF-8, rewritten atomically
 * ({@link AtomicFiles}) on every change:
 *
 * <pre>
 * 0                        version
 * &lt;count&gt;                  number of lines that follow
 * &lt;epoch&gt; &lt;startOffset&gt;    one line per epoch, epochs and start offsets strictly increasing
 * </pre>
 *
 * A missing file is an empty cache; a malformed one is an {@link IOException} (the log's recovery
 * rebuilds the entries of the batches it walks). Not thread-safe: the partition's writer calls it
 * (and readers call {@link #entries()}, which returns an immutable snapshot).
 */
final class LeaderEpochCache {

    static final String FILE_NAME = "leader-epoch-checkpoint";
    static final int VERSION = 0;

    private final Path file;
    private volatile List<EpochEntry> entries;

    private LeaderEpochCache(Path file, List<EpochEntry> entries) {
        this.file = file;
        this.entries = List.copyOf(entries);
    }

    static LeaderEpochCache load(Path partitionDir) throws IOException {
        Path file = partitionDir.resolve(FILE_NAME);
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (NoSuchFileException e) {
            return new LeaderEpochCache(file, List.of());
        }
        try {
            if (lines.size() < 2 || Integer.parseInt(lines.get(0).trim()) != VERSION) {
                throw new IOException("bad version line in " + file);
            }
            int count = Integer.parseInt(lines.get(1).trim());
            if (count < 0 || lines.size() < 2 + count) {
                throw new IOException("expected " + count + " entries in " + file);
            }
            List<EpochEntry> list = new ArrayList<>(count);
            for (int i = 2; i < 2 + count; i++) {
                String[] f = lines.get(i).trim().split(" ");
                if (f.length != 2) {
                    throw new IOException("malformed line " + (i + 1) + " in " + file);
                }
                EpochEntry e = new EpochEntry(Integer.parseInt(f[0]), Long.parseLong(f[1]));
                if (!list.isEmpty() && (e.epoch() <= list.getLast().epoch()
                        || e.startOffset() < list.getLast().startOffset())) {
                    throw new IOException("entries out of order at line " + (i + 1) + " in " + file);
                }
                list.add(e);
            }
            return new LeaderEpochCache(file, list);
        } catch (NumberFormatException e) {
            throw new IOException("malformed " + file + ": " + e.getMessage(), e);
        }
    }

    /** An empty cache that overwrites a malformed file on its first change. */
    static LeaderEpochCache empty(Path partitionDir) {
        return new LeaderEpochCache(partitionDir.resolve(FILE_NAME), List.of());
    }

    List<EpochEntry> entries() {
        return entries;
    }

    /** The latest epoch, or -1 when none was recorded. */
    int latestEpoch() {
        List<EpochEntry> e = entries;
        return e.isEmpty() ? -1 : e.getLast().epoch();
    }

    /** Records that {@code epoch} starts at {@code startOffset} if it is newer than the latest one. */
    void assign(int epoch, long startOffset) throws IOException {
        if (epoch < 0 || epoch <= latestEpoch()) {
            return;
        }
        List<EpochEntry> next = new ArrayList<>(entries);
        next.add(new EpochEntry(epoch, startOffset));
        store(next);
    }

    /** Drops entries starting at or after {@code endOffset} (the log was truncated there). */
    void truncateFromEnd(long endOffset) throws IOException {
        List<EpochEntry> next = new ArrayList<>(entries);
        if (next.removeIf(e -> e.startOffset() >= endOffset)) {
            store(next);
        }
    }

    /**
     * Drops epochs that ended before {@code startOffset} (segments were deleted); the epoch that
     * covers {@code startOffset} is moved to start there.
     */
    void truncateFromStart(long startOffset) throws IOException {
        List<EpochEntry> current = entries;
        int covering = -1;
        for (int i = 0; i < current.size() && current.get(i).startOffset() <= startOffset; i++) {
            covering = i;
        }
        if (covering < 0 || (covering == 0 && current.getFirst().startOffset() == startOffset)) {
            return;
        }
        List<EpochEntry> next = new ArrayList<>(current.subList(covering, current.size()));
        next.set(0, new EpochEntry(next.getFirst().epoch(), startOffset));
        store(next);
    }

    private void store(List<EpochEntry> next) throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append(VERSION).append('\n').append(next.size()).append('\n');
        for (EpochEntry e : next) {
            sb.append(e.epoch()).append(' ').append(e.startOffset()).append('\n');
        }
        AtomicFiles.writeString(file, sb.toString());
        entries = List.copyOf(next);
    }
}
