package io.strata.ingestion.spool;

import io.strata.client.TopicPartition;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * The forwarder's progress, {@code <spool dir>/checkpoint}, rewritten atomically (temp file,
 * fsync, rename, fsync dir) by the forwarder thread. Big-endian:
 *
 * <pre>
 * magic      int32  0x53545343 ("STSC")
 * version    int16  1
 * count      int32  partitions
 * per partition:
 *   topicLength int16, topic UTF-8, partition int32
 *   nextEntryId   int64  every entry of the partition below this id was written to the log
 *   nextSequence  int32  the sequence after the last batch written to the log
 *   producerId    int64  the producer id the partition's batches go out with instead of the one sealed in
 *                        them (after a refusal, see SpoolForwarder); -1: the sealed one
 *   producerEpoch int16  that id's epoch; -1 with producerId -1
 * crc        int32  CRC32C of every byte before it
 * </pre>
 *
 * A missing file means nothing was forwarded yet. A file that fails its checks is damage (the
 * rename is atomic): opening the spool fails rather than forward records twice or never.
 */
final class SpoolCheckpoint {

    static final String FILE_NAME = "checkpoint";
    static final int MAGIC = 0x53545343;
    static final short VERSION = 1;

    /**
     * One partition's forwarding state.
     *
     * @param partition     the partition
     * @param nextEntryId   its entries below this id are in the log
     * @param nextSequence  the sequence that follows its last batch in the log
     * @param producerId    the producer id its batches go out with when the partition moved to
     *                      one of its own after a refusal; -1: the one sealed in the batches
     * @param producerEpoch that id's epoch (-1 with -1)
     */
    record Progress(TopicPartition partition, long nextEntryId, int nextSequence, long producerId, short producerEpoch) {
    }

    private SpoolCheckpoint() {
    }

    static Map<TopicPartition, Progress> read(Path dir) throws IOException {
        ByteBuffer b;
        Path file = dir.resolve(FILE_NAME);
        try {
            b = SpoolFiles.readAll(file);
        } catch (NoSuchFileException e) {
            return Map.of();
        }
        try {
            if (b.remaining() < 14) {
                throw new SpoolDamageException(file + " is " + b.remaining() + " bytes long");
            }
            CRC32C crc = new CRC32C();
            crc.update(b.duplicate().limit(b.limit() - 4));
            if ((int) crc.getValue() != b.getInt(b.limit() - 4)) {
                throw new SpoolDamageException(file + " fails its CRC");
            }
            if (b.getInt() != MAGIC || b.getShort() != VERSION) {
                throw new SpoolDamageException(file + " has a wrong magic or version");
            }
            int count = b.getInt();
            Map<TopicPartition, Progress> out = new LinkedHashMap<>();
            for (int i = 0; i < count; i++) {
                byte[] topic = new byte[b.getShort()];
                b.get(topic);
                TopicPartition tp = new TopicPartition(new String(topic, StandardCharsets.UTF_8), b.getInt());
                out.put(tp, new Progress(tp, b.getLong(), b.getInt(), b.getLong(), b.getShort()));
            }
            if (b.remaining() != 4) {
                throw new SpoolDamageException(file + " has " + (b.remaining() - 4) + " bytes after its entries");
            }
            return out;
        } catch (RuntimeException e) {
            throw new SpoolDamageException(file + " is malformed: " + e);
        }
    }

    static void write(Path dir, Collection<Progress> partitions) throws IOException {
        int size = 4 + 2 + 4 + 4;
        for (Progress p : partitions) {
            size += 2 + p.partition().topic().getBytes(StandardCharsets.UTF_8).length + 4 + 8 + 4 + 8 + 2;
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        b.putInt(MAGIC).putShort(VERSION).putInt(partitions.size());
        for (Progress p : partitions) {
            byte[] topic = p.partition().topic().getBytes(StandardCharsets.UTF_8);
            b.putShort((short) topic.length).put(topic).putInt(p.partition().partition());
            b.putLong(p.nextEntryId()).putInt(p.nextSequence()).putLong(p.producerId()).putShort(p.producerEpoch());
        }
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        b.flip();
        SpoolFiles.writeAtomically(dir.resolve(FILE_NAME), b);
    }

}
