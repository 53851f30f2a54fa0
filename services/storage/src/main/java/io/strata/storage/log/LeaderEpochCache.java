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

    /**
     * Records that {@code epoch} starts at {@code startOffset} if it is newer than the latest one.
     * An entry starting at the same offset goes (Kafka's rule): its epoch wrote nothing, as when a
     * leader recorded its epoch and lost leadership before its first append.
     */
    void assign(int epoch, long startOffset) throws IOException {
        if (epoch < 0 || epoch <= latestEpoch()) {
            return;
        }
        List<EpochEntry> next = new ArrayList<>(entries);
        next.removeIf(e -> e.startOffset() >= startOffset);
        next.add(new EpochEntry(epoch, startOffset));
        store(next);
    }

    /**
     * Where {@code epoch} ends (Kafka's {@code endOffsetFor}, for OffsetForLeaderEpoch): the largest
     * epoch {@code <= epoch} in the cache, and the start offset of the next epoch in the cache, or
     * {@code logEndOffset} when it is the latest. {@code (-1, logStartOffset)} when the cache holds no
     * epoch {@code <= epoch}. Any thread (reads one snapshot of the entries).
     */
    EpochEndOffset endOffsetFor(int epoch, long logStartOffset, long logEndOffset) {
        List<EpochEntry> e = entries;
        int floor = -1;
        while (floor + 1 < e.size() && e.get(floor + 1).epoch() <= epoch) {
            floor++;
        }
        if (floor < 0) {
            return new EpochEndOffset(-1, logStartOffset);
        }
        long endOffset = floor == e.size() - 1 ? logEndOffset : e.get(floor + 1).startOffset();
        return new EpochEndOffset(e.get(floor).epoch(), Math.min(endOffset, logEndOffset));
    }


    /** Drops entries starting at or after {@code endOffset} (the log was truncated there). */
    void truncateFromEnd(long endOffset) throws IOException {
        if (dropFrom(endOffset)) {
            persist();
        }
    }

    /**
     * As {@link #truncateFromEnd}, in memory only, so that a truncation can change the entries in
     * the same step as the log end readers see; returns whether any went. {@link #persist} follows.
     */
    boolean dropFrom(long endOffset) {
        List<EpochEntry> next = new ArrayList<>(entries);
        if (!next.removeIf(e -> e.startOffset() >= endOffset)) {
            return false;
        }
        entries = List.copyOf(next);
        return true;
    }

    /** Rewrites the file with the current entries. */
    void persist() throws IOException {
        store(entries);
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
