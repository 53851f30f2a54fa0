package io.strata.ingestion.spool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * The spool's idempotent-producer identity, allocated once by coordination's
 * {@code InitProducerId} and kept in {@code <spool dir>/producer-id} so that the batches sealed
 * before a restart and those sealed after carry the same id. Big-endian:
 *
 * <pre>
 * magic         int32  0x53545349 ("STSI")
 * version       int16  1
 * producerId    int64
 * producerEpoch int16
 * crc           int32  CRC32C of every byte before it
 * </pre>
 *
 * @param producerId    >= 0
 * @param producerEpoch >= 0
 */
record SpoolIdentity(long producerId, short producerEpoch) {

    static final String FILE_NAME = "producer-id";
    static final int MAGIC = 0x53545349;
    static final short VERSION = 1;
    private static final int SIZE = 4 + 2 + 8 + 2 + 4;

    static Optional<SpoolIdentity> read(Path dir) throws IOException {
        ByteBuffer b;
        Path file = dir.resolve(FILE_NAME);
        try {
            b = SpoolFiles.readAll(file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        CRC32C crc = new CRC32C();
        crc.update(b.duplicate().limit(Math.max(0, b.limit() - 4)));
        if (b.remaining() != SIZE || (int) crc.getValue() != b.getInt(SIZE - 4) || b.getInt() != MAGIC
                || b.getShort() != VERSION) {
            throw new SpoolDamageException(file + " is damaged (" + b.limit() + " bytes)");
        }
        return Optional.of(new SpoolIdentity(b.getLong(), b.getShort()));
    }

    void write(Path dir) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(SIZE).putInt(MAGIC).putShort(VERSION).putLong(producerId).putShort(producerEpoch);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, SIZE - 4);
        b.putInt((int) crc.getValue()).flip();
        SpoolFiles.writeAtomically(dir.resolve(FILE_NAME), b);
    }

    @Override
    public String toString() {
        return "producer id " + producerId + " (epoch " + producerEpoch + ")";
    }
}
