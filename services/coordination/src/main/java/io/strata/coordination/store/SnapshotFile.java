package io.strata.coordination.store;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;

/**
 * Owns {@code <dir>/snapshot}: every key of the store at one revision. Written whole to
 * {@code snapshot.tmp}, fsynced, renamed over {@code snapshot} and the directory fsynced, so
 * the file is always either the old or the new snapshot, never a mix.
 *
 * <h2>Format (big-endian), version 1</h2>
 * <pre>
 * magic     int32  0x53544D53 ("STMS")
 * version   int16  1
 * revision  int64  the store revision the snapshot holds
 * count     int32  number of keys
 * key*      keyLen int32, key (UTF-8), valueLen int32, value,
 *           createRevision int64, modRevision int64, version int64, leaseId int64
 * crc       int32  CRC32C of every byte before it
 * </pre>
 * A snapshot that fails its CRC is not a torn write (the rename is atomic) but damage: the
 * store refuses to open rather than guess.
 */
final class SnapshotFile {

    static final String NAME = "snapshot";
    static final int MAGIC = 0x53544D53;
    static final short VERSION = 1;

    /** A snapshot's contents. */
    record Contents(long revision, List<KeyValue> kvs) {
    }

    private SnapshotFile() {
    }

    static void write(Path dir, long revision, Collection<KeyValue> kvs) throws IOException {
        Path tmp = dir.resolve(NAME + ".tmp");
        try (FileOutputStream file = new FileOutputStream(tmp.toFile())) {
            CRC32C crc = new CRC32C();
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(new CheckedOutputStream(file, crc), 1 << 16));
            out.writeInt(MAGIC);
            out.writeShort(VERSION);
            out.writeLong(revision);
            out.writeInt(kvs.size());
            for (KeyValue kv : kvs) {
                JournalFile.writeBytes(out, kv.key().getBytes(StandardCharsets.UTF_8));
                JournalFile.writeBytes(out, kv.value());
                out.writeLong(kv.createRevision());
                out.writeLong(kv.modRevision());
                out.writeLong(kv.version());
                out.writeLong(kv.leaseId());
            }
            out.flush();
            file.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
            file.getFD().sync();
        }
        Files.move(tmp, dir.resolve(NAME), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        fsyncDirectory(dir);
    }

    /**
     * The snapshot in {@code dir}, or empty when there is none.
     *
     * @throws IOException when it cannot be read or is damaged (bad magic, version or CRC)
     */
    static Optional<Contents> read(Path dir) throws IOException {
        Path file = dir.resolve(NAME);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        if (bytes.length < 22) {
            throw new IOException(file + " is damaged: " + bytes.length + " bytes is shorter than a snapshot header");
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        if (in.getInt() != MAGIC) {
            throw new IOException(file + " is not a Strata metadata snapshot (bad magic)");
        }
        short version = in.getShort();
        if (version != VERSION) {
            throw new IOException(file + " has snapshot format version " + version + "; this build reads " + VERSION);
        }
        if ((int) crc.getValue() != in.getInt(bytes.length - 4)) {
            throw new IOException(file + " is damaged: CRC32C mismatch");
        }
        ByteBuffer body = in.slice(in.position(), bytes.length - 4 - in.position());
        try {
            long revision = body.getLong();
            int count = body.getInt();
            List<KeyValue> kvs = new ArrayList<>(Math.max(0, Math.min(count, 1 << 16)));
            for (int i = 0; i < count; i++) {
                String key = new String(JournalFile.readBytes(body), StandardCharsets.UTF_8);
                byte[] value = JournalFile.readBytes(body);
                kvs.add(new KeyValue(key, value, body.getLong(), body.getLong(), body.getLong(), body.getLong()));
            }
            return Optional.of(new Contents(revision, kvs));
        } catch (RuntimeException e) {
            throw new IOException(file + " is damaged: " + e, e);
        }
    }

    /**
     * Makes a rename in {@code dir} durable. Only a channel can fsync a directory, and a
     * channel dies on an interrupt, so the caller's interrupt status is set aside meanwhile.
     */
    static void fsyncDirectory(Path dir) throws IOException {
        boolean interrupted = Thread.interrupted();
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // Some file systems (and platforms) do not allow opening a directory; the rename
            // itself is still atomic there.
            if (!System.getProperty("os.name", "").toLowerCase().contains("win")) {
                throw e;
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
