package io.strata.ingestion.spool;

import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;

/**
 * The spool's append-only log: the {@link SpoolSegment} files of one directory, entries numbered
 * from 0 across them. Appends go to the last (active) segment, which rolls when the next frames
 * would take it past {@code segmentBytes}; whole segments are deleted once every entry in them
 * was forwarded.
 *
 * <p>Threads: the spool's writer thread calls {@link #append} and {@link #flush}; the
 * forwarder calls {@link #read} and {@link #deleteSegmentsBelow}, never for the active segment
 * or for entries not yet flushed. {@link #sizeInBytes} may be called from anywhere.
 */
final class SpoolLog implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(SpoolLog.class);

    /** Called at open for every intact entry, in entry order; the entry's bytes are valid only during the call. */
    interface EntryVisitor {
        void visit(SpoolEntryRef ref, SpoolEntry entry);
    }

    private final Path dir;
    private final long segmentBytes;
    private final ConcurrentSkipListMap<Long, SpoolSegment> segments = new ConcurrentSkipListMap<>();
    private final AtomicLong size = new AtomicLong();
    private final List<SpoolSegment> unflushed = new ArrayList<>();
    private volatile SpoolSegment active;

    private SpoolLog(Path dir, long segmentBytes) {
        this.dir = dir;
        this.segmentBytes = segmentBytes;
    }

    /**
     * Opens the log in {@code dir} (created when missing), recovering every segment: each is cut
     * at its first torn or damaged frame. A cut of the last segment is the expected result of a
     * crash (frames written after the last fsync, never acknowledged) and logged as a warning; a
     * cut or a bad header anywhere else is damage, logged as an error, and the rest of that
     * segment is lost while the later segments are kept.
     *
     * @param minNextEntryId entries below this id were handed out before (the checkpoint names
     *                       them): new entries never get such ids again, even if the files are gone
     */
    static SpoolLog open(Path dir, long segmentBytes, long minNextEntryId, EntryVisitor visitor) throws IOException {
        Files.createDirectories(dir);
        SpoolLog log = new SpoolLog(dir, segmentBytes);
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*" + SpoolSegment.SUFFIX)) {
            ds.forEach(f -> {
                if (SpoolSegment.baseOf(f) >= 0) {
                    files.add(f);
                }
            });
        }
        files.sort((a, b) -> Long.compare(SpoolSegment.baseOf(a), SpoolSegment.baseOf(b)));
        try {
            for (int i = 0; i < files.size(); i++) {
                log.recoverSegment(files.get(i), i == files.size() - 1, visitor);
            }
            long next = log.segments.isEmpty() ? 0 : log.segments.lastEntry().getValue().nextEntryId();
            if (log.segments.isEmpty() || next < minNextEntryId) {
                log.roll(Math.max(next, minNextEntryId));
            } else {
                log.active = log.segments.lastEntry().getValue();
            }
        } catch (IOException | RuntimeException e) {
            log.close();
            throw e;
        }
        return log;
    }

    private void recoverSegment(Path file, boolean last, EntryVisitor visitor) throws IOException {
        SpoolSegment segment;
        try {
            segment = SpoolSegment.open(file);
        } catch (SpoolDamageException e) {
            if (last) {
                LOG.warnf("spool %s: deleting %s, a segment whose creation a crash interrupted (%s)", dir, file.getFileName(),
                        e.getMessage());
                Files.delete(file);
            } else {
                Path aside = file.resolveSibling(file.getFileName() + ".damaged");
                LOG.errorf("spool %s: %s is damaged, its records are lost; moved to %s (%s)", dir, file.getFileName(),
                        aside.getFileName(), e.getMessage());
                Files.move(file, aside, StandardCopyOption.REPLACE_EXISTING);
            }
            return;
        }
        SpoolSegment.Recovery r = segment.recover((entryId, position, frameSize, payload) -> {
            SpoolEntry entry;
            try {
                entry = SpoolEntry.decode(payload);
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("spool " + file + ": entry " + entryId + " at " + position
                        + " passes its CRC but is malformed: " + e.getMessage(), e);
            }
            visitor.visit(entry.ref(entryId, segment.baseEntryId(), position, frameSize), entry);
        });
        if (r.cutBytes() > 0 && last) {
            LOG.warnf("spool %s: cut %d bytes of torn tail from %s after %d intact entries (written after the last fsync,"
                    + " never acknowledged)", dir, r.cutBytes(), file.getFileName(), r.entries());
        } else if (r.cutBytes() > 0) {
            LOG.errorf("spool %s: %s is damaged after %d intact entries; %d bytes of acknowledged records are lost",
                    dir, file.getFileName(), r.entries(), r.cutBytes());
        }
        segments.put(segment.baseEntryId(), segment);
        size.addAndGet(segment.sizeInBytes());
    }

    /**
     * Appends the entries as frames, rolling first when they would take the active segment past
     * the segment size (a segment holds at least one entry however large). Not fsynced: call
     * {@link #flush} before telling anyone.
     *
     * @return where each entry went, in order
     */
    List<SpoolEntryRef> append(List<SpoolEntry> entries) throws IOException {
        List<SpoolEntryRef> refs = new ArrayList<>(entries.size());
        int i = 0;
        while (i < entries.size()) {
            // Frame as many entries as fit in the active segment (at least one), then write them at once.
            long room = segmentBytes - active.sizeInBytes();
            int from = i;
            long bytes = 0;
            while (i < entries.size()) {
                long frame = SpoolSegment.FRAME_OVERHEAD + (long) entries.get(i).payloadSize();
                if (bytes + frame > room && (i > from || active.entryCount() > 0)) {
                    break;
                }
                bytes += frame;
                i++;
            }
            if (i == from) {
                roll(active.nextEntryId());
                continue;
            }
            ByteBuffer frames = ByteBuffer.allocate(Math.toIntExact(bytes));
            int[] sizes = new int[i - from];
            CRC32C crc = new CRC32C();
            for (int k = from; k < i; k++) {
                SpoolEntry e = entries.get(k);
                int payloadSize = e.payloadSize();
                int start = frames.position();
                frames.putInt(payloadSize).putInt(0);
                e.writeTo(frames);
                crc.reset();
                crc.update(frames.duplicate().position(start + SpoolSegment.FRAME_OVERHEAD).limit(frames.position()));
                frames.putInt(start + 4, (int) crc.getValue());
                sizes[k - from] = SpoolSegment.FRAME_OVERHEAD + payloadSize;
            }
            frames.flip();
            long firstId = active.nextEntryId();
            long position = active.append(frames, sizes.length);
            size.addAndGet(bytes);
            if (!unflushed.contains(active)) {
                unflushed.add(active);
            }
            for (int k = 0; k < sizes.length; k++) {
                SpoolEntry e = entries.get(from + k);
                refs.add(e.ref(firstId + k, active.baseEntryId(), position, sizes[k]));
                position += sizes[k];
            }
        }
        return refs;
    }

    /** Fsyncs every segment appended to since the last flush. */
    void flush() throws IOException {
        for (SpoolSegment s : unflushed) {
            s.flush();
        }
        unflushed.clear();
    }

    private void roll(long baseEntryId) throws IOException {
        SpoolSegment created = SpoolSegment.create(dir, baseEntryId);
        segments.put(baseEntryId, created);
        size.addAndGet(created.sizeInBytes());
        active = created;
    }

    /** Reads an entry back (its CRC checked again). */
    SpoolEntry read(SpoolEntryRef ref) throws IOException {
        SpoolSegment segment = segments.get(ref.segmentBase());
        if (segment == null) {
            throw new SpoolDamageException("spool " + dir + ": entry " + ref.entryId() + " is in segment "
                    + ref.segmentBase() + ", which is gone");
        }
        try {
            return SpoolEntry.decode(segment.readPayload(ref.position(), ref.frameSize()));
        } catch (IllegalArgumentException e) {
            throw new SpoolDamageException("spool " + dir + ": entry " + ref.entryId() + " is malformed: " + e.getMessage());
        }
    }

    /**
     * Deletes the segments all of whose entries lie below {@code entryId}; never the active one.
     *
     * @return how many were deleted
     */
    int deleteSegmentsBelow(long entryId) throws IOException {
        int deleted = 0;
        for (Map.Entry<Long, SpoolSegment> e : segments.entrySet()) {
            SpoolSegment s = e.getValue();
            if (s == active || s.nextEntryId() > entryId) {
                break;
            }
            segments.remove(e.getKey());
            size.addAndGet(-s.sizeInBytes());
            s.delete();
            deleted++;
        }
        return deleted;
    }

    /** Bytes of every segment file: what {@code strata.ingestion.spool.max.bytes} bounds. */
    long sizeInBytes() {
        return size.get();
    }

    /** The id the next appended entry gets. */
    long nextEntryId() {
        return active.nextEntryId();
    }

    int segmentCount() {
        return segments.size();
    }

    Path dir() {
        return dir;
    }

    @Override
    public void close() {
        for (SpoolSegment s : segments.values()) {
            try {
                s.close();
            } catch (IOException e) {
                LOG.debugf("closing %s: %s", s, e.getMessage());
            }
        }
    }
}
