package io.strata.storage.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The snapshot file format and the choice of snapshot on open. */
@Timeout(10)
class ProducerSnapshotsTest {

    @TempDir
    Path dir;

    static final List<ProducerStateEntry> ENTRIES = List.of(
            new ProducerStateEntry(3, (short) 1, List.of(new SequencedBatch(0, 4, 10, 14, 1000),
                    new SequencedBatch(5, 5, 20, 20, 1001)), 55),
            new ProducerStateEntry(Long.MAX_VALUE, Short.MAX_VALUE,
                    List.of(new SequencedBatch(Integer.MAX_VALUE, 0, 30, 31, -1)), 56));

    @Test
    void aSnapshotReadsBackAsWritten() throws IOException {
        ProducerSnapshots snapshots = new ProducerSnapshots(dir);
        snapshots.write(4096, ENTRIES);

        assertThat(Files.exists(dir.resolve("00000000000000004096.snapshot"))).isTrue();
        ProducerSnapshots.Loaded loaded = snapshots.loadLatest(10_000).orElseThrow();
        assertThat(loaded.offset()).isEqualTo(4096);
        assertThat(loaded.entries()).isEqualTo(ENTRIES);
        assertThat(ProducerSnapshots.decode(ProducerSnapshots.encode(7, List.of()), 7).entries()).isEmpty();
    }

    @Test
    void everyFlippedByteIsDetected() {
        ByteBuffer good = ProducerSnapshots.encode(4096, ENTRIES);
        for (int i = 0; i < good.limit(); i++) {
            ByteBuffer bad = ByteBuffer.allocate(good.limit()).put(good.duplicate()).flip();
            bad.put(i, (byte) (bad.get(i) ^ 0x10));
            assertThatThrownBy(() -> ProducerSnapshots.decode(bad, 4096)).as("byte %d", i).isInstanceOf(IOException.class);
        }
        assertThatThrownBy(() -> ProducerSnapshots.decode(good.duplicate().limit(good.limit() - 1), 4096))
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> ProducerSnapshots.decode(good.duplicate(), 4095))
                .isInstanceOf(IOException.class).hasMessageContaining("named for 4095");
    }

    @Test
    void theNewestReadableSnapshotAtOrBelowTheLogEndIsLoadedAndTheOthersPastItDeleted() throws IOException {
        ProducerSnapshots snapshots = new ProducerSnapshots(dir);
        snapshots.write(100, ENTRIES.subList(0, 1));
        snapshots.write(200, ENTRIES);
        snapshots.write(300, ENTRIES);
        Files.write(ProducerSnapshots.file(dir, 200), new byte[] {1, 2, 3});

        ProducerSnapshots.Loaded loaded = snapshots.loadLatest(250).orElseThrow();

        assertThat(loaded.offset()).as("200 is corrupt, 300 past the end").isEqualTo(100);
        assertThat(snapshots.offsets()).containsExactly(100L);
        snapshots.deleteBelow(101);
        assertThat(snapshots.offsets()).isEmpty();
        assertThat(snapshots.loadLatest(1000)).isEmpty();
    }
}
