package io.strata.coordination.store;

import io.strata.runtime.testing.MutableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The contract on the embedded store, plus what only it does: its files, recovery, leases across restarts. */
class EmbeddedMetadataStoreTest extends MetadataStoreContractTest {

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock();

    private EmbeddedMetadataStore open(Path directory) {
        return EmbeddedMetadataStore.builder(directory).clock(clock).leaseCheckInterval(Duration.ofMillis(10)).open();
    }

    @Override
    protected MetadataStore createStore() {
        return open(dir.resolve("store"));
    }

    @Override
    protected MetadataStore reopen(MetadataStore closed) {
        return open(((EmbeddedMetadataStore) closed).directory());
    }

    @Override
    protected void letTimePass(Duration d) {
        clock.advance(d);
    }

    private Path journal() {
        return ((EmbeddedMetadataStore) store).directory().resolve(JournalFile.NAME);
    }

    @Test
    void leaseBoundKeysAreGoneAfterAReopenAtANewRevision() {
        Lease lease = store.grantLease(Duration.ofMinutes(5));
        store.txn(List.of(), List.of(Op.put("nodes/1", bytes("n"), lease.id()), Op.put("topics/t", bytes("t"))));
        long before = store.currentRevision();

        store.close();
        store = reopen(store);

        assertThat(store.get("nodes/1")).isEmpty();
        assertThat(store.get("topics/t")).isPresent();
        assertThat(store.currentRevision()).isEqualTo(before + 1);
        assertThat(store.keepAlive(lease.id())).isFalse();
    }

    @Test
    void revisionsNeverGoBackAcrossReopens() {
        long last = 0;
        for (int i = 0; i < 3; i++) {
            long rev = put("k", "v" + i).revision();
            assertThat(rev).isGreaterThan(last);
            last = rev;
            store.close();
            store = reopen(store);
            assertThat(store.currentRevision()).isEqualTo(last);
        }
    }

    @ParameterizedTest(name = "cut {0} bytes into the last entry")
    @ValueSource(ints = {0, 1, 4, 7, 8, 12, 20})
    void aTornLastJournalEntryIsDroppedAndTheStoreWorksOn(int keep) throws IOException {
        put("a", "kept");
        long afterFirst = Files.size(journal());
        put("b", "torn");
        long afterSecond = Files.size(journal());
        Path journal = journal();
        store.close();
        assertThat(keep).isLessThan((int) (afterSecond - afterFirst));

        try (RandomAccessFile file = new RandomAccessFile(journal.toFile(), "rw")) {
            file.setLength(afterFirst + keep);
        }
        store = reopen(store);

        assertThat(valueOf("a")).isEqualTo("kept");
        assertThat(store.get("b")).isEmpty();
        put("c", "after");
        store.close();
        store = reopen(store);
        assertThat(valueOf("c")).isEqualTo("after");
    }

    @Test
    void garbageAfterTheLastEntryIsDropped() throws IOException {
        put("a", "1");
        put("b", "2");
        Path journal = journal();
        store.close();

        Files.write(journal, new byte[] {0, 0, 0, 40, 1, 2, 3, 4, 5, 6, 7}, StandardOpenOption.APPEND);
        store = reopen(store);

        assertThat(valueOf("a")).isEqualTo("1");
        assertThat(valueOf("b")).isEqualTo("2");
    }

    @Test
    void anEntryFailingItsCrcIsDroppedWithEverythingAfterIt() throws IOException {
        put("a", "1");
        long afterFirst = Files.size(journal());
        put("b", "2");
        put("c", "3");
        Path journal = journal();
        store.close();

        try (RandomAccessFile file = new RandomAccessFile(journal.toFile(), "rw")) {
            long pos = afterFirst + 12;
            file.seek(pos);
            int b = file.read();
            file.seek(pos);
            file.write(b ^ 0xFF);
        }
        store = reopen(store);

        assertThat(valueOf("a")).isEqualTo("1");
        assertThat(store.get("b")).isEmpty();
        assertThat(store.get("c")).isEmpty();
    }

    @Test
    void aDamagedSnapshotRefusesToOpen() throws IOException {
        put("a", "1");
        Path snapshot = ((EmbeddedMetadataStore) store).directory().resolve(SnapshotFile.NAME);
        store.close();

        try (RandomAccessFile file = new RandomAccessFile(snapshot.toFile(), "rw")) {
            file.seek(10);
            file.write(0x7F);
        }

        assertThatThrownBy(() -> reopen(store)).isInstanceOfSatisfying(MetadataStoreException.class, e -> {
            assertThat(e.reason()).isEqualTo(MetadataStoreException.Reason.FAILED);
            assertThat(e.getMessage()).contains("damaged");
        });
        store = null;
    }

    @Test
    void aSecondStoreOnTheSameDirectoryIsRefused() {
        assertThatThrownBy(() -> open(((EmbeddedMetadataStore) store).directory()))
                .isInstanceOf(MetadataStoreException.class)
                .hasMessageContaining("in use");
    }

    @Test
    void aLongJournalIsFoldedIntoANewSnapshot() {
        store.close();
        Path directory = dir.resolve("compacting");
        store = EmbeddedMetadataStore.builder(directory).clock(clock).snapshotThresholdBytes(2048).open();
        for (int i = 0; i < 200; i++) {
            put("k/" + i, "value-" + i);
        }

        assertThat(directory.resolve(JournalFile.NAME).toFile().length()).isLessThan(2048 + 200);
        store.close();
        store = open(directory);

        assertThat(store.getPrefix("k/").kvs()).hasSize(200);
        assertThat(valueOf("k/199")).isEqualTo("value-199");
    }

    @Test
    void aWatchFromBeforeTheLastOpenFailsAsCompacted() {
        long early = put("k", "1").revision();
        store.close();
        store = reopen(store);
        Recorder recorder = new Recorder();

        store.watchPrefix("", early, recorder);

        await().atMost(Duration.ofSeconds(10)).until(() -> recorder.errors.size() == 1);
        assertThat(recorder.errors.get(0).reason()).isEqualTo(MetadataStoreException.Reason.COMPACTED);
    }

    @Test
    void aWatchFromTooFarBackInTheHistoryFailsAsCompacted() {
        store.close();
        store = EmbeddedMetadataStore.builder(dir.resolve("short-history")).clock(clock).watchHistoryRevisions(2).open();
        long first = put("k", "1").revision();
        put("k", "2");
        put("k", "3");
        Recorder compacted = new Recorder();
        Recorder kept = new Recorder();

        store.watchPrefix("k", first, compacted);
        store.watchPrefix("k", first + 1, kept);

        await().atMost(Duration.ofSeconds(10)).until(() -> compacted.errors.size() == 1 && kept.events().size() == 2);
    }

    @Test
    void aWriteFromAnInterruptedThreadIsDurableAndLeavesTheStoreWorking() {
        Thread.currentThread().interrupt();
        try {
            put("during-interrupt", "v");
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }

        put("after", "v");
        store.close();
        store = reopen(store);

        assertThat(valueOf("during-interrupt")).isEqualTo("v");
        assertThat(valueOf("after")).isEqualTo("v");
    }

    @Test
    void aSnapshotWrittenFromAnInterruptedThreadLeavesTheStoreWorking() {
        store.close();
        Path directory = dir.resolve("interrupted-snapshot");
        store = EmbeddedMetadataStore.builder(directory).clock(clock).snapshotThresholdBytes(64).open();
        Thread.currentThread().interrupt();
        try {
            for (int i = 0; i < 5; i++) {
                put("k/" + i, "a value long enough to pass the threshold");
            }
        } finally {
            Thread.interrupted();
        }

        put("after", "v");
        assertThat(store.getPrefix("k/").kvs()).hasSize(5);
    }
}
