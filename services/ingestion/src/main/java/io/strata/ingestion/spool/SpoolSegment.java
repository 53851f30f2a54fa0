package io.strata.ingestion.spool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * One spool segment file, {@code <baseEntryId>.spool} (20 digits): a header, then frames appended
 * back to back. Big-endian:
 *
 * <pre>
 * header   magic        int32  0x53545350 ("STSP")
 *          version      int16  1
 *          baseEntryId  int64  id of the first entry (must match the file name)
 * frame*   length       int32  bytes of payload (at least {@link #MIN_PAYLOAD})
 *          crc          int32  CRC32C of the payload
 *          payload      length bytes: a {@link SpoolEntry}
 * </pre>
 *
 * The n-th frame holds entry {@code baseEntryId + n}. The CRC covers the whole payload, so a
 * frame is either intact or detected as damaged; a crash can only tear the frames written after
 * the last fsync, which no request was answered for. {@link #recover} cuts the file at the first
 * incomplete or damaged frame.
 *
 * <p>Not thread-safe for writes: the spool's writer thread appends and flushes. Reads are
 * positional and may run on any thread, concurrently with appends.
 */
final class SpoolSegment implements AutoCloseable {

    static final int MAGIC = 0x53545350;
    static final short VERSION = 1;
    static final int HEADER_SIZE = 4 + 2 + 8;
    static final int FRAME_OVERHEAD = 8;
    /** The smallest possible payload: partition, a 1-byte topic, a batch header. */
    static final int MIN_PAYLOAD = SpoolEntry.prefixSize(1) + io.strata.records.RecordBatch.HEADER_SIZE;
    /** Frames larger than this are damage: a request holds at most a few hundred MiB. */
    static final int MAX_PAYLOAD = Integer.MAX_VALUE - 64;
    static final String SUFFIX = ".spool";

    /** Called for every intact frame found by {@link #recover}; the payload buffer is reused after the call. */
    interface FrameVisitor {
        void visit(long entryId, long position, int frameSize, ByteBuffer payload);
    }

    /**
     * What recovery found.
     *
     * @param entries  intact frames
     * @param cutBytes bytes cut from the end (a torn or damaged tail), 0 when the file was whole
     */
    record Recovery(int entries, long cutBytes) {
    }

    private final Path file;
    private final long baseEntryId;
    private final FileChannel channel;
    private volatile long size;
    private int entries;

    private SpoolSegment(Path file, long baseEntryId, FileChannel channel, long size) {
        this.file = file;
        this.baseEntryId = baseEntryId;
        this.channel = channel;
        this.size = size;
    }

    static Path path(Path dir, long baseEntryId) {
        return dir.resolve(String.format("%020d%s", baseEntryId, SUFFIX));
    }

    /** The base entry id a segment file name stands for, or -1 when it is not a segment's name. */
    static long baseOf(Path file) {
        String name = file.getFileName().toString();
        if (!name.endsWith(SUFFIX) || name.length() != 20 + SUFFIX.length()) {
            return -1;
        }
        try {
            return Long.parseLong(name.substring(0, 20));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Creates a new, empty segment: header written and fsynced, then the directory fsynced. */
    static SpoolSegment create(Path dir, long baseEntryId) throws IOException {
        Path file = path(dir, baseEntryId);
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        try {
            ByteBuffer header = ByteBuffer.allocate(HEADER_SIZE).putInt(MAGIC).putShort(VERSION).putLong(baseEntryId).flip();
            writeFully(ch, header, 0);
            ch.force(true);
            SpoolFiles.fsyncDirectory(dir);
            return new SpoolSegment(file, baseEntryId, ch, HEADER_SIZE);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /**
     * Opens an existing segment for recovery.
     *
     * @throws SpoolDamageException when the header is missing or wrong
     */
    static SpoolSegment open(Path file) throws IOException {
        long base = baseOf(file);
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            long fileSize = ch.size();
            ByteBuffer header = ByteBuffer.allocate(HEADER_SIZE);
            if (fileSize < HEADER_SIZE || !readFully(ch, header, 0)) {
                throw new SpoolDamageException(file + " has no complete header (" + fileSize + " bytes)");
            }
            header.flip();
            int magic = header.getInt();
            short version = header.getShort();
            long headerBase = header.getLong();
            if (magic != MAGIC || version != VERSION || headerBase != base) {
                throw new SpoolDamageException(String.format("%s: header magic 0x%08x version %d base %d; expected 0x%08x, %d, %d",
                        file, magic, version, headerBase, MAGIC, VERSION, base));
            }
            return new SpoolSegment(file, base, ch, fileSize);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /**
     * Walks every frame, checking its length and CRC, and cuts the file at the first frame that is
     * incomplete or fails (the rest is never read: without a good length, nothing after it can be
     * found). The cut is fsynced.
     */
    Recovery recover(FrameVisitor visitor) throws IOException {
        long fileSize = channel.size();
        long position = HEADER_SIZE;
        ByteBuffer frameHeader = ByteBuffer.allocate(FRAME_OVERHEAD);
        ByteBuffer payload = ByteBuffer.allocate(64 * 1024);
        CRC32C crc = new CRC32C();
        int count = 0;
        while (position + FRAME_OVERHEAD <= fileSize) {
            frameHeader.clear();
            readFully(channel, frameHeader, position);
            int length = frameHeader.getInt(0);
            int storedCrc = frameHeader.getInt(4);
            if (length < MIN_PAYLOAD || length > MAX_PAYLOAD || position + FRAME_OVERHEAD + length > fileSize) {
                break;
            }
            if (payload.capacity() < length) {
                payload = ByteBuffer.allocate(Math.max(length, payload.capacity() * 2));
            }
            payload.clear().limit(length);
            readFully(channel, payload, position + FRAME_OVERHEAD);
            payload.flip();
            crc.reset();
            crc.update(payload.duplicate());
            if ((int) crc.getValue() != storedCrc) {
                break;
            }
            visitor.visit(baseEntryId + count, position, FRAME_OVERHEAD + length, payload.asReadOnlyBuffer());
            count++;
            position += FRAME_OVERHEAD + length;
        }
        long cut = fileSize - position;
        if (cut > 0) {
            channel.truncate(position);
            channel.force(true);
        }
        size = position;
        entries = count;
        return new Recovery(count, cut);
    }

    /**
     * Appends complete frames (position to limit) at the end of the file; not fsynced.
     *
     * @return the position the first frame was written at
     */
    long append(ByteBuffer frames, int frameCount) throws IOException {
        long at = size;
        writeFully(channel, frames.duplicate(), at);
        size = at + frames.remaining();
        entries += frameCount;
        return at;
    }

    /** Forces the appended frames to disk (data only: the file's length is part of it on Linux). */
    void flush() throws IOException {
        channel.force(false);
    }

    /**
     * Reads the payload of the frame at {@code position}, checking its length and CRC again:
     * the disk may have damaged it since it was written.
     *
     * @throws SpoolDamageException when the frame no longer checks out
     */
    ByteBuffer readPayload(long position, int frameSize) throws IOException {
        ByteBuffer frame = ByteBuffer.allocate(frameSize);
        if (!readFully(channel, frame, position)) {
            throw new SpoolDamageException(file + ": frame at " + position + " ends past the end of the file");
        }
        frame.flip();
        int length = frame.getInt();
        int storedCrc = frame.getInt();
        if (length != frameSize - FRAME_OVERHEAD) {
            throw new SpoolDamageException(file + ": frame at " + position + " says " + length + " bytes, expected "
                    + (frameSize - FRAME_OVERHEAD));
        }
        CRC32C crc = new CRC32C();
        crc.update(frame.duplicate());
        if ((int) crc.getValue() != storedCrc) {
            throw new SpoolDamageException(String.format("%s: frame at %d fails its CRC (stored 0x%08x, computed 0x%08x)",
                    file, position, storedCrc, (int) crc.getValue()));
        }
        return frame.slice();
    }

    long baseEntryId() {
        return baseEntryId;
    }

    /** The id the next frame appended here would get. */
    long nextEntryId() {
        return baseEntryId + entries;
    }

    int entryCount() {
        return entries;
    }

    long sizeInBytes() {
        return size;
    }

    Path file() {
        return file;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    /** Closes and deletes the file (not fsyncing the directory: a segment that comes back is read again). */
    void delete() throws IOException {
        channel.close();
        Files.deleteIfExists(file);
    }

    private static void writeFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
        long p = position;
        while (b.hasRemaining()) {
            p += ch.write(b, p);
        }
    }

    /** Fills {@code b}; false when the file ended first. */
    private static boolean readFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
        long p = position;
        while (b.hasRemaining()) {
            int n = ch.read(b, p);
            if (n < 0) {
                return false;
            }
            p += n;
        }
        return true;
    }

    @Override
    public String toString() {
        return file.getFileName().toString();
    }
}
