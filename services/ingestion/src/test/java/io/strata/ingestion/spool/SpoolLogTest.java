package io.strata.ingestion.spool;

import io.strata.client.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SpoolLogTest {

    private static final TopicPartition A = new TopicPartition("events", 0);
    private static final TopicPartition B = new TopicPartition("events", 1);

    @TempDir
    Path dir;

    private record Seen(SpoolEntryRef ref, SpoolEntry entry) {
    }

    private List<Seen> reopen(long segmentBytes) throws IOException {
        List<Seen> seen = new ArrayList<>();
        SpoolLog.open(dir, segmentBytes, 0, (ref, entry) -> seen.add(new Seen(ref, copy(entry)))).close();
        return seen;
    }

    private static SpoolEntry copy(SpoolEntry e) {
        return new SpoolEntry(e.partition(), ByteBuffer.allocate(e.batch().remaining()).put(e.batch().duplicate()).flip());
    }

    private static List<SpoolEntry> entries(int n) {
        List<SpoolEntry> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(SpoolTestData.entry(i % 2 == 0 ? A : B, i / 2 * 3, 3, "value-" + i + "-"));
        }
        return out;
    }

    private Path onlySegment() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> segments = files.filter(f -> f.toString().endsWith(".spool")).toList();
            assertThat(segments).hasSize(1);
            return segments.getFirst();
        }
    }

    @Test
    void appendedEntriesAreRecoveredInOrderWithTheirIdsAndBytes() throws IOException {
        List<SpoolEntry> written = entries(5);
        List<SpoolEntryRef> refs;
        try (SpoolLog log = SpoolLog.open(dir, 1 << 20, 0, (r, e) -> { })) {
            refs = log.append(written);
            log.flush();
            assertThat(refs).extracting(SpoolEntryRef::entryId).containsExactly(0L, 1L, 2L, 3L, 4L);
            assertThat(log.read(refs.get(3)).batch()).isEqualTo(written.get(3).batch());
        }
        List<Seen> seen = reopen(1 << 20);
        assertThat(seen).extracting(Seen::ref).containsExactlyElementsOf(refs);
        for (int i = 0; i < 5; i++) {
            assertThat(seen.get(i).entry().partition()).isEqualTo(written.get(i).partition());
            assertThat(seen.get(i).entry().batch()).isEqualTo(written.get(i).batch());
        }
        assertThat(seen.get(4).ref().lastSequence()).isEqualTo(8);
    }

    @Test
    void aTornTailIsCutAndTheNextEntryTakesItsId() throws IOException {
        try (SpoolLog log = SpoolLog.open(dir, 1 << 20, 0, (r, e) -> { })) {
            log.append(entries(3));
            log.flush();
        }
        Path segment = onlySegment();
        long whole = Files.size(segment);
        // A crash in the middle of the fourth frame: its length and half its payload reached the disk.
        ByteBuffer torn = ByteBuffer.allocate(40).putInt(500).putInt(1234);
        Files.write(segment, torn.array(), java.nio.file.StandardOpenOption.APPEND);

        List<Seen> seen = new ArrayList<>();
        try (SpoolLog log = SpoolLog.open(dir, 1 << 20, 0, (r, e) -> seen.add(new Seen(r, e)))) {
            assertThat(seen).hasSize(3);
            assertThat(Files.size(segment)).isEqualTo(whole);
            assertThat(log.append(entries(1)).getFirst().entryId()).isEqualTo(3);
        }
    }

    @Test
    void aCrcMismatchCutsTheSegmentAtTheDamagedEntry() throws IOException {
        List<SpoolEntryRef> refs;
        try (SpoolLog log = SpoolLog.open(dir, 1 << 20, 0, (r, e) -> { })) {
            refs = log.append(entries(4));
            log.flush();
        }
        SpoolEntryRef damaged = refs.get(2);
        flipByte(onlySegment(), damaged.position() + damaged.frameSize() - 3);

        List<Seen> seen = reopen(1 << 20);
        assertThat(seen).extracting(s -> s.ref().entryId()).containsExactly(0L, 1L);
        assertThat(Files.size(onlySegment())).isEqualTo(damaged.position());
    }

    @Test
    void readingAnEntryDamagedAfterItWasWrittenFailsItsCrc() throws IOException {
        try (SpoolLog log = SpoolLog.open(dir, 1 << 20, 0, (r, e) -> { })) {
            List<SpoolEntryRef> refs = log.append(entries(2));
            log.flush();
            flipByte(onlySegment(), refs.get(1).position() + 20);
            assertThatThrownBy(() -> log.read(refs.get(1))).isInstanceOf(SpoolDamageException.class).hasMessageContaining("CRC");
            assertThat(log.read(refs.get(0)).recordCount()).isEqualTo(3);
        }
    }

    @Test
    void garbageAtAnyPositionKeepsExactlyTheEntriesBeforeIt() throws IOException {
        Random random = new Random(42);
        for (int round = 0; round < 50; round++) {
            Path roundDir = dir.resolve("round-" + round);
            List<SpoolEntryRef> refs;
            try (SpoolLog log = SpoolLog.open(roundDir, 1 << 20, 0, (r, e) -> { })) {
                refs = log.append(entries(8));
                log.flush();
            }
            Path segment = SpoolSegment.path(roundDir, 0);
            long size = Files.size(segment);
            long at = SpoolSegment.HEADER_SIZE + (long) (random.nextDouble() * (size - SpoolSegment.HEADER_SIZE));
            if (random.nextBoolean()) {
                flipByte(segment, at);
            } else {
                try (RandomAccessFile f = new RandomAccessFile(segment.toFile(), "rw")) {
                    f.setLength(at); // a torn write
                }
            }
            long expected = refs.stream().filter(r -> r.position() + r.frameSize() <= at).count();
            List<SpoolEntryRef> seen = new ArrayList<>();
            SpoolLog.open(roundDir, 1 << 20, 0, (r, e) -> seen.add(r)).close();
            assertThat(seen).as("damage at %d of %d", at, size).hasSize((int) expected)
                    .containsExactlyElementsOf(refs.subList(0, (int) expected));
            long cutAt = expected == 0 ? SpoolSegment.HEADER_SIZE : refs.get((int) expected - 1).position()
                    + refs.get((int) expected - 1).frameSize();
            assertThat(Files.size(segment)).isEqualTo(cutAt);
        }
    }

    @Test
    void segmentsRollAndFullyForwardedOnesAreDeletedButNeverTheActiveOne() throws IOException {
        long segmentBytes = 600; // about three entries per segment
        List<SpoolEntryRef> refs = new ArrayList<>();
        try (SpoolLog log = SpoolLog.open(dir, segmentBytes, 0, (r, e) -> { })) {
            for (int i = 0; i < 10; i++) {
                refs.addAll(log.append(entries(1)));
            }
            log.flush();
            assertThat(log.segmentCount()).isGreaterThan(2);
            long before = log.sizeInBytes();
            long secondSegment = refs.stream().mapToLong(SpoolEntryRef::segmentBase).filter(b -> b > 0).min().orElseThrow();

            assertThat(log.deleteSegmentsBelow(secondSegment - 1)).isZero(); // the first still has an entry waiting
            assertThat(log.deleteSegmentsBelow(secondSegment)).isEqualTo(1);
            assertThat(Files.exists(SpoolSegment.path(dir, 0))).isFalse();
            assertThat(log.sizeInBytes()).isLessThan(before);

            int segments = log.segmentCount();
            assertThat(log.deleteSegmentsBelow(Long.MAX_VALUE)).isEqualTo(segments - 1);
            assertThat(log.segmentCount()).isEqualTo(1);
            assertThat(log.nextEntryId()).isEqualTo(10);
        }
        List<Seen> seen = reopen(segmentBytes);
        assertThat(seen).allSatisfy(s -> assertThat(s.ref().entryId()).isGreaterThanOrEqualTo(refs.getLast().segmentBase()));
        try (SpoolLog log = SpoolLog.open(dir, segmentBytes, 0, (r, e) -> { })) {
            assertThat(log.nextEntryId()).isEqualTo(10);
        }
    }

    @Test
    void entryIdsNeverGoBelowWhatTheCheckpointAlreadyCounted() throws IOException {
        try (SpoolLog log = SpoolLog.open(dir, 1 << 20, 500, (r, e) -> { })) {
            assertThat(log.append(entries(1)).getFirst().entryId()).isEqualTo(500);
        }
    }

    @Test
    void aSealedSegmentWithADamagedHeaderIsSetAsideAndLaterSegmentsAreKept() throws IOException {
        List<SpoolEntryRef> refs = new ArrayList<>();
        try (SpoolLog log = SpoolLog.open(dir, 600, 0, (r, e) -> { })) {
            for (int i = 0; i < 6; i++) {
                refs.addAll(log.append(entries(1)));
            }
            log.flush();
        }
        flipByte(SpoolSegment.path(dir, 0), 1);
        List<Seen> seen = reopen(600);
        long firstKept = refs.stream().mapToLong(SpoolEntryRef::segmentBase).filter(b -> b > 0).min().orElseThrow();
        assertThat(seen).extracting(s -> s.ref().entryId()).first().isEqualTo(firstKept);
        assertThat(seen.getLast().ref().entryId()).isEqualTo(5);
        assertThat(Files.exists(dir.resolve(SpoolSegment.path(dir, 0).getFileName() + ".damaged"))).isTrue();
    }

    private static void flipByte(Path file, long position) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(position);
            int b = f.read();
            f.seek(position);
            f.write(b ^ 0x5a);
        }
    }
}
