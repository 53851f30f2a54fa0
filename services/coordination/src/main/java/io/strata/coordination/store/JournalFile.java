package io.strata.coordination.store;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.DataOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.zip.CRC32C;

/**
 * Owns {@code <dir>/journal}: the append-only log of committed transactions since the last
 * {@link SnapshotFile snapshot}. Every entry is written and fsynced before the transaction
 * returns. Not thread-safe: the store calls it under its lock.
 *
 * <h2>Format (big-endian), version 1</h2>
 * <pre>
 * header  magic    int32  0x53544D4A ("STMJ")
 *         version  int16  1
 * entry*  length   int32  bytes of payload (>= 12)
 *         crc      int32  CRC32C of payload
 *         payload  revision  int64   the transaction's revision
 *                  count     int32   number of changes
 *                  change*   type    int8    1 = put, 2 = delete
 *                            keyLen  int32, key (UTF-8)
 *                            (put only) leaseId int64, valueLen int32, value
 * </pre>
 * Recovery ({@link #replay}) reads entries until the first one that is incomplete or fails
 * its CRC and drops everything from there on: a crash can only tear the last entry, which
 * was never acknowledged. Writes go through a {@link FileOutputStream} and
 * {@code FileDescriptor.sync()}, not a {@code FileChannel}: a channel is closed by an
 * interrupt of the writing thread, which would fail the store because some caller's thread
 * was being interrupted (a thread pool shutting down). The entries' revisions are consecutive; entries at or below the
 * snapshot's revision are skipped (the snapshot already holds them).
 */
final class JournalFile implements Closeable {

    static final String NAME = "journal";
    static final int MAGIC = 0x53544D4A;
    static final short VERSION = 1;
    static final int HEADER_BYTES = 6;
    private static final int ENTRY_HEADER_BYTES = 8;
    private static final byte PUT = 1;
    private static final byte DELETE = 2;

    /** What recovery found. */
    record Replay(int entries, long validBytes, long droppedBytes) {
    }

    private final FileOutputStream out;
    private long size;

    private JournalFile(FileOutputStream out, long size) {
        this.out = out;
        this.size = size;
    }

    /** Replaces any journal in {@code dir} by an empty one (written to a temp file, fsynced, renamed). */
    static JournalFile create(Path dir) throws IOException {
        Path tmp = dir.resolve(NAME + ".tmp");
        try (FileOutputStream out = new FileOutputStream(tmp.toFile())) {
            out.write(ByteBuffer.allocate(HEADER_BYTES).putInt(MAGIC).putShort(VERSION).array());
            out.getFD().sync();
        }
        Path target = dir.resolve(NAME);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        SnapshotFile.fsyncDirectory(dir);
        return new JournalFile(new FileOutputStream(target.toFile(), true), HEADER_BYTES);
    }

    /** Appends and fsyncs one entry; when this returns the transaction is durable. */
    void append(JournalEntry entry) throws IOException {
        byte[] payload = encode(entry);
        CRC32C crc = new CRC32C();
        crc.update(payload);
        byte[] framed = ByteBuffer.allocate(ENTRY_HEADER_BYTES + payload.length)
                .putInt(payload.length).putInt((int) crc.getValue()).put(payload).array();
        out.write(framed);
        out.getFD().sync();
        size += framed.length;
    }

    long size() {
        return size;
    }

    @Override
    public void close() throws IOException {
        out.close();
    }

    /**
     * Reads every intact entry of {@code <dir>/journal} in order into {@code consumer}.
     *
     * @throws IOException when the file cannot be read, its header is not a version-1 journal
     *     header, or an entry passes its CRC but cannot be decoded (a bug, not a torn write)
     */
    static Replay replay(Path dir, Consumer<JournalEntry> consumer) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(dir.resolve(NAME));
        } catch (NoSuchFileException e) {
            return new Replay(0, 0, 0);
        }
        ByteBuffer in = ByteBuffer.wrap(bytes);
        if (bytes.length < HEADER_BYTES || in.getInt() != MAGIC) {
            throw new IOException(dir.resolve(NAME) + " is not a Strata metadata journal (bad magic)");
        }
        short version = in.getShort();
        if (version != VERSION) {
            throw new IOException(dir.resolve(NAME) + " has journal format version " + version + "; this build reads " + VERSION);
        }
        int entries = 0;
        while (in.remaining() >= ENTRY_HEADER_BYTES) {
            int start = in.position();
            int length = in.getInt();
            int crcValue = in.getInt();
            if (length < 12 || length > in.remaining()) {
                in.position(start);
                break;
            }
            CRC32C crc = new CRC32C();
            crc.update(bytes, in.position(), length);
            if ((int) crc.getValue() != crcValue) {
                in.position(start);
                break;
            }
            ByteBuffer payload = in.slice(in.position(), length);
            in.position(in.position() + length);
            consumer.accept(decode(payload, dir));
            entries++;
        }
        return new Replay(entries, in.position(), bytes.length - in.position());
    }

    private static byte[] encode(JournalEntry entry) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeLong(entry.revision());
        out.writeInt(entry.changes().size());
        for (Op op : entry.changes()) {
            switch (op) {
                case Op.Put put -> {
                    out.writeByte(PUT);
                    writeBytes(out, put.key().getBytes(StandardCharsets.UTF_8));
                    out.writeLong(put.leaseId());
                    writeBytes(out, put.value());
                }
                case Op.Delete delete -> {
                    out.writeByte(DELETE);
                    writeBytes(out, delete.key().getBytes(StandardCharsets.UTF_8));
                }
                case Op.DeletePrefix p -> throw new IllegalStateException("unexpanded delete-prefix in journal entry");
            }
        }
        out.flush();
        return bytes.toByteArray();
    }

    private static JournalEntry decode(ByteBuffer in, Path dir) throws IOException {
        try {
            long revision = in.getLong();
            int count = in.getInt();
            if (count < 0 || count > in.remaining()) {
                throw new IOException("bad change count " + count);
            }
            List<Op> changes = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                byte type = in.get();
                String key = new String(readBytes(in), StandardCharsets.UTF_8);
                if (type == PUT) {
                    long lease = in.getLong();
                    changes.add(new Op.Put(key, readBytes(in), lease));
                } else if (type == DELETE) {
                    changes.add(new Op.Delete(key));
                } else {
                    throw new IOException("bad change type " + type);
                }
            }
            if (in.hasRemaining()) {
                throw new IOException(in.remaining() + " stray bytes after the changes");
            }
            return new JournalEntry(revision, changes);
        } catch (RuntimeException e) {
            throw new IOException("undecodable journal entry in " + dir.resolve(NAME) + ": " + e, e);
        } catch (IOException e) {
            throw new IOException("undecodable journal entry in " + dir.resolve(NAME) + ": " + e.getMessage(), e);
        }
    }

    static void writeBytes(DataOutputStream out, byte[] b) throws IOException {
        out.writeInt(b.length);
        out.write(b);
    }

    static byte[] readBytes(ByteBuffer in) {
        int length = in.getInt();
        if (length < 0 || length > in.remaining()) {
            throw new IllegalStateException("bad length " + length);
        }
        byte[] b = new byte[length];
        in.get(b);
        return b;
    }
}
