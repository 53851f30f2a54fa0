package io.strata.storage.log;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeSet;
import java.util.zip.CRC32C;

/**
 * The producer-state snapshots of one partition directory: files {@code <offset>.snapshot}
 * (the offset zero-padded to 20 digits, as segment files), each holding the
 * {@link ProducerStateTable} as it was once every batch below {@code offset} was appended.
 * The log writes one when a segment rolls (at the new segment's base offset) and on a clean
 * close (at the log end); on open it loads the newest one at or below the recovered log end and
 * replays the batches after it (Kafka's {@code ProducerStateManager} snapshots). Big-endian:
 *
 * <pre>
 * offset  size  field
 *  0      4     magic 0x53545053 ("STPS")
 *  4      2     version, 1
 *  6      8     offset: the snapshot covers the batches below it (must match the file name)
 * 14      4     producer count
 * 18      ...   per producer: producerId int64, epoch int16, lastAppendMs int64 (leader clock),
 *               batchCount int8 (1-5), then per batch, oldest first: firstSequence int32,
 *               lastSequence int32, firstOffset int64, lastOffset int64, maxTimestamp int64
 * end-4   4     CRC32C of every byte before it
 * </pre>
 *
 * Written atomically ({@link AtomicFiles}: temp file, fsync, rename, directory fsync), so a
 * file that fails its checks is damage, not a torn write: it is deleted with a warning and the
 * next older one is tried; with none left the state is rebuilt from the whole log. Files are
 * deleted once the log start passes them (retention) or when they lie past the recovered log
 * end (their batches were cut). Not thread-safe: the log's writer, or its one background thread,
 * calls it.
 */
final class ProducerSnapshots {

    static final String SUFFIX = ".snapshot";
    static final int MAGIC = 0x53545053;
    static final short VERSION = 1;

    private static final System.Logger LOG = System.getLogger(ProducerSnapshots.class.getName());
    private static final int HEADER_BYTES = 4 + 2 + 8 + 4;
    private static final int PRODUCER_BYTES = 8 + 2 + 8 + 1;
    private static final int BATCH_BYTES = 4 + 4 + 8 + 8 + 8;

    /** A snapshot read back: the offset it covers up to and its entries. */
    record Loaded(long offset, List<ProducerStateEntry> entries) {
    }

    private final Path dir;

    ProducerSnapshots(Path dir) {
        this.dir = dir;
    }

    static Path file(Path dir, long offset) {
        return Segment.file(dir, offset, SUFFIX);
    }

    /** Writes the snapshot of {@code entries} at {@code offset}, replacing one of the same offset. */
    void write(long offset, List<ProducerStateEntry> entries) throws IOException {
        AtomicFiles.write(file(dir, offset), encode(offset, entries));
    }

    /**
     * Deletes the snapshots past {@code logEnd}, then returns the newest readable one at or below
     * it; each unreadable one on the way is deleted with a warning.
     */
    Optional<Loaded> loadLatest(long logEnd) throws IOException {
        TreeSet<Long> offsets = offsets();
        for (long offset : offsets.tailSet(logEnd, false)) {
            Files.deleteIfExists(file(dir, offset));
        }
        for (long offset : offsets.headSet(logEnd, true).descendingSet()) {
            Path f = file(dir, offset);
            try {
                return Optional.of(decode(ByteBuffer.wrap(Files.readAllBytes(f)), offset));
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "ignoring producer snapshot {0}: {1}; deleting it and using an"
                        + " older one or the log itself", f, e.getMessage());
                Files.deleteIfExists(f);
            }
        }
        return Optional.empty();
    }

    /** Deletes the snapshots below {@code logStart}: the segments they were taken for are gone. */
    void deleteBelow(long logStart) throws IOException {
        for (long offset : offsets().headSet(logStart, false)) {
            Files.deleteIfExists(file(dir, offset));
        }
    }

    /** The offsets of the snapshot files present. */
    TreeSet<Long> offsets() throws IOException {
        TreeSet<Long> offsets = new TreeSet<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path f : files) {
                OptionalLong offset = Segment.parseBaseOffset(f.getFileName().toString(), SUFFIX);
                offset.ifPresent(offsets::add);
            }
        }
        return offsets;
    }

    static ByteBuffer encode(long offset, List<ProducerStateEntry> entries) {
        int size = HEADER_BYTES + 4;
        for (ProducerStateEntry e : entries) {
            size += PRODUCER_BYTES + e.batches().size() * BATCH_BYTES;
        }
        ByteBuffer buf = ByteBuffer.allocate(size);
        buf.putInt(MAGIC).putShort(VERSION).putLong(offset).putInt(entries.size());
        for (ProducerStateEntry e : entries) {
            buf.putLong(e.producerId()).putShort(e.epoch()).putLong(e.lastAppendMs()).put((byte) e.batches().size());
            for (SequencedBatch b : e.batches()) {
                buf.putInt(b.firstSequence()).putInt(b.lastSequence()).putLong(b.firstOffset()).putLong(b.lastOffset())
                        .putLong(b.maxTimestamp());
            }
        }
        buf.putInt((int) crc(buf, buf.position()));
        return buf.flip();
    }

    /** Parses a snapshot file's bytes; any deviation from the layout is an {@link IOException}. */
    static Loaded decode(ByteBuffer buf, long expectedOffset) throws IOException {
        try {
            if (buf.remaining() < HEADER_BYTES + 4) {
                throw new IOException("only " + buf.remaining() + " bytes");
            }
            long stored = Integer.toUnsignedLong(buf.getInt(buf.limit() - 4));
            long computed = crc(buf, buf.limit() - 4);
            if (stored != computed) {
                throw new IOException("CRC32C mismatch: stored 0x" + Long.toHexString(stored) + ", computed 0x"
                        + Long.toHexString(computed));
            }
            int magic = buf.getInt();
            short version = buf.getShort();
            long offset = buf.getLong();
            int count = buf.getInt();
            if (magic != MAGIC || version != VERSION) {
                throw new IOException("magic 0x" + Integer.toHexString(magic) + " version " + version + ", expected 0x"
                        + Integer.toHexString(MAGIC) + " version " + VERSION);
            }
            if (offset != expectedOffset) {
                throw new IOException("covers offset " + offset + " but is named for " + expectedOffset);
            }
            if (count < 0 || count > (buf.remaining() - 4) / (PRODUCER_BYTES + BATCH_BYTES)) {
                throw new IOException("producer count " + count + " does not fit the file");
            }
            List<ProducerStateEntry> entries = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                entries.add(readEntry(buf));
            }
            if (buf.remaining() != 4) {
                throw new IOException((buf.remaining() - 4) + " bytes after the last producer");
            }
            return new Loaded(offset, entries);
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw new IOException("malformed: " + e, e);
        }
    }

    private static ProducerStateEntry readEntry(ByteBuffer buf) throws IOException {
        long producerId = buf.getLong();
        short epoch = buf.getShort();
        long lastAppendMs = buf.getLong();
        int batchCount = buf.get();
        if (producerId < 0 || epoch < 0 || batchCount < 1 || batchCount > ProducerStateEntry.BATCHES_RETAINED) {
            throw new IOException("bad entry: producer " + producerId + ", epoch " + epoch + ", " + batchCount + " batches");
        }
        List<SequencedBatch> batches = new ArrayList<>(batchCount);
        for (int b = 0; b < batchCount; b++) {
            batches.add(new SequencedBatch(buf.getInt(), buf.getInt(), buf.getLong(), buf.getLong(), buf.getLong()));
        }
        return new ProducerStateEntry(producerId, epoch, batches, lastAppendMs);
    }

    private static long crc(ByteBuffer buf, int end) {
        CRC32C crc = new CRC32C();
        crc.update(buf.duplicate().position(0).limit(end));
        return crc.getValue();
    }
}
