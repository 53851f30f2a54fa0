package io.strata.coordination.store;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The {@link MetadataStore} contract, written once and run against every implementation
 * ({@link EmbeddedMetadataStoreTest}, {@link EtcdMetadataStoreTest}): a subclass supplies a
 * fresh store, a way to reopen it, and a way to let lease time pass — a fake clock moved by
 * hand for the embedded store, real time for etcd — so lease expiry is tested on both.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class MetadataStoreContractTest {

    protected MetadataStore store;

    /** A new, empty store. */
    protected abstract MetadataStore createStore() throws Exception;

    /** The same store opened again after {@code closed} was closed: committed data must be there. */
    protected abstract MetadataStore reopen(MetadataStore closed) throws Exception;

    /**
     * Makes at least {@code d} of lease time pass: move a fake clock, or, for a store that
     * expires leases on real time (etcd), wait that long. Tests keep {@code d} to a few seconds.
     */
    protected abstract void letTimePass(Duration d);

    /** How long to wait for something time drives, such as a lease expiring. */
    protected Duration timeDrivenWait() {
        return Duration.ofSeconds(10);
    }

    @BeforeEach
    void openStore() throws Exception {
        store = createStore();
    }

    @AfterEach
    void closeStore() {
        if (store != null) {
            store.close();
        }
    }

    protected static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    protected TxnResult put(String key, String value) {
        return store.txn(List.of(), List.of(Op.put(key, bytes(value))));
    }

    protected String valueOf(String key) {
        return store.get(key).map(KeyValue::valueAsString).orElse(null);
    }

    private static List<String> keys(KeyRange range) {
        return range.kvs().stream().map(KeyValue::key).toList();
    }

    // ---- keys and revisions ----

    @Test
    void getOfAnAbsentKeyIsEmpty() {
        assertThat(store.get("missing")).isEmpty();
    }

    @Test
    void putCreatesTheKeyAtTheTransactionsRevisionWithVersionOne() {
        TxnResult result = put("a", "1");

        assertThat(result.succeeded()).isTrue();
        KeyValue kv = store.get("a").orElseThrow();
        assertThat(kv.valueAsString()).isEqualTo("1");
        assertThat(kv.createRevision()).isEqualTo(result.revision()).isPositive();
        assertThat(kv.modRevision()).isEqualTo(result.revision());
        assertThat(kv.version()).isEqualTo(1);
        assertThat(kv.leaseId()).isZero();
    }

    @Test
    void anotherPutKeepsTheCreateRevisionAndBumpsModRevisionAndVersion() {
        long created = put("a", "1").revision();
        long modified = put("a", "2").revision();

        KeyValue kv = store.get("a").orElseThrow();
        assertThat(kv.valueAsString()).isEqualTo("2");
        assertThat(kv.createRevision()).isEqualTo(created);
        assertThat(kv.modRevision()).isEqualTo(modified).isGreaterThan(created);
        assertThat(kv.version()).isEqualTo(2);
    }

    @Test
    void revisionGrowsByOnePerChangingTransactionAndNotForOnesThatChangeNothing() {
        long start = store.currentRevision();

        assertThat(put("a", "1").revision()).isEqualTo(start + 1);
        assertThat(store.txn(List.of(Compare.absent("a")), List.of(Op.put("a", bytes("x")))))
                .isEqualTo(new TxnResult(false, start + 1));
        assertThat(store.txn(List.of(), List.of(Op.delete("never-existed")))).isEqualTo(new TxnResult(true, start + 1));
        assertThat(store.txn(List.of(), List.of(Op.put("b", bytes("1")), Op.put("c", bytes("1")))).revision())
                .isEqualTo(start + 2);
        assertThat(store.currentRevision()).isEqualTo(start + 2);
    }

    @Test
    void createIfAbsentSucceedsOnceAndLeavesTheFirstValue() {
        TxnResult first = store.txn(List.of(Compare.absent("k")), List.of(Op.put("k", bytes("first"))));
        TxnResult second = store.txn(List.of(Compare.absent("k")), List.of(Op.put("k", bytes("second"))));

        assertThat(first.succeeded()).isTrue();
        assertThat(second.succeeded()).isFalse();
        assertThat(valueOf("k")).isEqualTo("first");
    }

    @Test
    void compareAndSetOnModRevisionAppliesOnlyWhileTheKeyIsUnchanged() {
        long rev = put("k", "v1").revision();

        assertThat(store.txn(List.of(Compare.modRevision("k", rev)), List.of(Op.put("k", bytes("v2")))).succeeded()).isTrue();
        assertThat(store.txn(List.of(Compare.modRevision("k", rev)), List.of(Op.put("k", bytes("v3")))).succeeded()).isFalse();
        assertThat(valueOf("k")).isEqualTo("v2");
    }

    @Test
    void modRevisionZeroMatchesOnlyAnAbsentKey() {
        assertThat(store.txn(List.of(Compare.modRevision("k", 0)), List.of(Op.put("k", bytes("v")))).succeeded()).isTrue();
        assertThat(store.txn(List.of(Compare.modRevision("k", 0)), List.of(Op.put("k", bytes("w")))).succeeded()).isFalse();
    }

    @Test
    void createRevisionCompareTellsARecreatedKeyFromTheOriginal() {
        long created = put("k", "v").revision();
        store.txn(List.of(), List.of(Op.delete("k")));
        put("k", "again");

        assertThat(store.get("k").orElseThrow().createRevision()).isGreaterThan(created);
        assertThat(store.get("k").orElseThrow().version()).isEqualTo(1);
        assertThat(store.txn(List.of(Compare.createRevision("k", created)), List.of(Op.delete("k"))).succeeded()).isFalse();
    }

    @Test
    void valueCompareMatchesTheExactBytesAndIsFalseForAnAbsentKey() {
        put("k", "v");

        assertThat(store.txn(List.of(Compare.valueEquals("k", bytes("v"))), List.of()).succeeded()).isTrue();
        assertThat(store.txn(List.of(Compare.valueEquals("k", bytes("w"))), List.of()).succeeded()).isFalse();
        assertThat(store.txn(List.of(Compare.valueEquals("absent", new byte[0])), List.of()).succeeded()).isFalse();
    }

    @Test
    void aTransactionWithOneFalseCompareAppliesNoneOfItsOps() {
        long rev = put("a", "1").revision();
        put("b", "1");

        TxnResult result = store.txn(List.of(Compare.modRevision("a", rev), Compare.absent("b")),
                List.of(Op.put("a", bytes("2")), Op.put("c", bytes("2")), Op.delete("b")));

        assertThat(result.succeeded()).isFalse();
        assertThat(valueOf("a")).isEqualTo("1");
        assertThat(valueOf("b")).isEqualTo("1");
        assertThat(store.get("c")).isEmpty();
    }

    @Test
    void aTransactionAppliesAllItsOpsAtOneRevision() {
        put("old", "x");
        TxnResult result = store.txn(List.of(), List.of(Op.put("a", bytes("1")), Op.put("b", bytes("2")), Op.delete("old")));

        assertThat(store.get("a").orElseThrow().modRevision()).isEqualTo(result.revision());
        assertThat(store.get("b").orElseThrow().modRevision()).isEqualTo(result.revision());
        assertThat(store.get("old")).isEmpty();
    }

    @Test
    void deletePrefixRemovesExactlyTheKeysUnderThePrefix() {
        store.txn(List.of(), List.of(Op.put("t/a/0", bytes("")), Op.put("t/a/1", bytes("")), Op.put("t/ab/0", bytes("")),
                Op.put("t/b/0", bytes(""))));

        store.txn(List.of(), List.of(Op.deletePrefix("t/a/")));

        assertThat(keys(store.getPrefix("t/"))).containsExactly("t/ab/0", "t/b/0");
    }

    @Test
    void getPrefixReturnsTheKeysUnderThePrefixSortedWithTheRevisionTheyWereReadAt() {
        for (String key : List.of("p/c", "p/a", "q/a", "p/b", "p", "o/z")) {
            put(key, key);
        }

        KeyRange range = store.getPrefix("p/");

        assertThat(keys(range)).containsExactly("p/a", "p/b", "p/c");
        assertThat(range.revision()).isEqualTo(store.currentRevision());
        assertThat(keys(store.getPrefix(""))).containsExactly("o/z", "p", "p/a", "p/b", "p/c", "q/a");
    }

    @Test
    void keysSortByCodePointLikeEtcdsByteOrder() {
        put("k/\uFFFD", "bmp");
        put("k/\uD83D\uDE00", "emoji");
        put("k/a", "ascii");

        assertThat(keys(store.getPrefix("k/"))).containsExactly("k/a", "k/\uFFFD", "k/\uD83D\uDE00");
    }

    @Test
    void getPrefixesReadsSeveralPrefixesTogether() {
        store.txn(List.of(), List.of(Op.put("topics/x", bytes("t")), Op.put("partitions/x/0", bytes("p")),
                Op.put("nodes/storage/1", bytes("n"))));

        KeyRange range = store.getPrefixes(List.of("topics/", "partitions/", "topics/"));

        assertThat(keys(range)).containsExactly("partitions/x/0", "topics/x");
        assertThat(range.revision()).isEqualTo(store.currentRevision());
    }

    // ---- etcd's transaction limits ----

    @Test
    void aTransactionWithMoreThanTheMaximumOpsIsRejectedWhole() {
        List<Op> ops = IntStream.range(0, MetadataStore.MAX_TXN_OPS + 1).mapToObj(i -> Op.put("k" + i, bytes("v"))).toList();

        assertThatThrownBy(() -> store.txn(List.of(), ops)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at most " + MetadataStore.MAX_TXN_OPS);
        assertThat(store.getPrefix("k")).extracting(KeyRange::kvs).asList().isEmpty();
        assertThat(store.txn(List.of(), ops.subList(0, MetadataStore.MAX_TXN_OPS)).succeeded()).isTrue();
    }

    @Test
    void aTransactionCarryingMoreThanTheByteLimitIsRejectedWholeAndOneAtTheLimitApplies() {
        int n = MetadataStore.MAX_TXN_OPS;
        List<String> keys = IntStream.range(0, n).mapToObj(i -> String.format("big/%03d", i)).toList();
        List<Compare> compares = keys.stream().map(Compare::absent).toList();
        int valueBytes = MetadataStore.MAX_TXN_BYTES - 2 * keys.stream().mapToInt(String::length).sum();
        int[] sizes = IntStream.range(0, n).map(i -> valueBytes / n + (i < valueBytes % n ? 1 : 0)).toArray();
        List<Op> atLimit = IntStream.range(0, n).mapToObj(i -> Op.put(keys.get(i), new byte[sizes[i]])).toList();
        List<Op> overLimit = IntStream.range(0, n)
                .mapToObj(i -> Op.put(keys.get(i), new byte[sizes[i] + (i == 0 ? 1 : 0)])).toList();

        assertThatThrownBy(() -> store.txn(compares, overLimit)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at most " + MetadataStore.MAX_TXN_BYTES + " bytes");
        assertThat(store.getPrefix("big/").kvs()).isEmpty();

        assertThat(store.txn(compares, atLimit).succeeded()).isTrue();
        KeyRange written = store.getPrefix("big/");
        assertThat(written.kvs()).hasSize(n);
        assertThat(written.kvs().stream().mapToLong(kv -> kv.value().length).sum()).isEqualTo(valueBytes);
    }

    @Test
    void writingTheSameKeyTwiceInOneTransactionIsRejected() {
        assertThatThrownBy(() -> store.txn(List.of(), List.of(Op.put("k", bytes("1")), Op.put("k", bytes("2")))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.txn(List.of(), List.of(Op.put("k/1", bytes("1")), Op.deletePrefix("k/"))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(store.get("k")).isEmpty();
    }

    @Test
    void anEmptyKeyIsRejected() {
        assertThatThrownBy(() -> store.get("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> put("", "v")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void concurrentCompareAndSetIncrementsLoseNoUpdate() throws Exception {
        put("counter", "0");
        int threads = 4;
        int incrementsEach = 25;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < incrementsEach; i++) {
                        while (true) {
                            KeyValue kv = store.get("counter").orElseThrow();
                            int next = Integer.parseInt(kv.valueAsString()) + 1;
                            if (store.txn(List.of(Compare.modRevision("counter", kv.modRevision())),
                                    List.of(Op.put("counter", bytes(Integer.toString(next))))).succeeded()) {
                                break;
                            }
                        }
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(valueOf("counter")).isEqualTo(Integer.toString(threads * incrementsEach));
    }

    // ---- leases ----

    @Test
    void aPutBoundToAnUnknownLeaseFailsTheWholeTransaction() {
        assertThatThrownBy(() -> store.txn(List.of(), List.of(Op.put("a", bytes("1")), Op.put("b", bytes("1"), 424242L))))
                .isInstanceOfSatisfying(MetadataStoreException.class,
                        e -> assertThat(e.reason()).isEqualTo(MetadataStoreException.Reason.LEASE_NOT_FOUND));
        assertThat(store.get("a")).isEmpty();
    }

    @Test
    void keysBoundToALeaseCarryItsId() {
        Lease lease = store.grantLease(Duration.ofSeconds(30));
        store.txn(List.of(), List.of(Op.put("eph", bytes("v"), lease.id())));

        assertThat(lease.id()).isPositive();
        assertThat(store.get("eph").orElseThrow().leaseId()).isEqualTo(lease.id());
    }

    @Test
    void keepAliveAnswersTrueForALiveLeaseAndFalseForAnUnknownOne() {
        Lease lease = store.grantLease(Duration.ofSeconds(30));

        assertThat(store.keepAlive(lease.id())).isTrue();
        assertThat(store.keepAlive(lease.id() + 1)).isFalse();
    }

    @Test
    void anExpiredLeaseTakesItsKeysWithItAndCannotBeKeptAlive() {
        Lease lease = store.grantLease(Duration.ofSeconds(2));
        store.txn(List.of(), List.of(Op.put("eph/1", bytes("v"), lease.id()), Op.put("eph/2", bytes("v"), lease.id()),
                Op.put("durable", bytes("v"))));

        letTimePass(Duration.ofMillis(2100));

        await().atMost(timeDrivenWait()).until(() -> store.getPrefix("eph/").kvs().isEmpty());
        assertThat(store.keepAlive(lease.id())).isFalse();
        assertThat(store.get("durable")).isPresent();
    }

    @Test
    void keepAliveRestartsTheLeasesTimeToLive() {
        Lease lease = store.grantLease(Duration.ofSeconds(3));
        store.txn(List.of(), List.of(Op.put("eph", bytes("v"), lease.id())));

        letTimePass(Duration.ofSeconds(2));
        assertThat(store.keepAlive(lease.id())).isTrue();
        letTimePass(Duration.ofSeconds(2));

        assertThat(store.keepAlive(lease.id())).isTrue();
        assertThat(store.get("eph")).isPresent();
    }

    @Test
    void revokingALeaseDeletesItsKeysAtOnceInOneRevision() {
        Lease lease = store.grantLease(Duration.ofSeconds(30));
        store.txn(List.of(), List.of(Op.put("eph/1", bytes("v"), lease.id()), Op.put("eph/2", bytes("v"), lease.id())));
        long before = store.currentRevision();

        assertThat(store.revokeLease(lease.id())).isTrue();

        assertThat(store.getPrefix("eph/").kvs()).isEmpty();
        assertThat(store.currentRevision()).isEqualTo(before + 1);
        assertThat(store.revokeLease(lease.id())).isFalse();
        assertThat(store.keepAlive(lease.id())).isFalse();
    }

    @Test
    void aPutWithAnotherLeaseOrNoneMovesTheKeyOffItsOldLease() {
        Lease first = store.grantLease(Duration.ofSeconds(30));
        Lease second = store.grantLease(Duration.ofSeconds(30));
        store.txn(List.of(), List.of(Op.put("moved", bytes("v"), first.id()), Op.put("unbound", bytes("v"), first.id())));
        store.txn(List.of(), List.of(Op.put("moved", bytes("w"), second.id()), Op.put("unbound", bytes("w"))));

        store.revokeLease(first.id());

        assertThat(store.get("moved").orElseThrow().leaseId()).isEqualTo(second.id());
        assertThat(store.get("unbound").orElseThrow().leaseId()).isZero();
    }

    @Test
    void aLeaseTimeToLiveMustBePositive() {
        assertThatThrownBy(() -> store.grantLease(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    }

    // ---- watches ----

    /** Records what a watch delivers, and on which threads. */
    protected static final class Recorder implements WatchListener {
        final List<List<WatchEvent>> batches = new CopyOnWriteArrayList<>();
        final Set<String> threads = java.util.concurrent.ConcurrentHashMap.newKeySet();
        final List<MetadataStoreException> errors = new CopyOnWriteArrayList<>();

        @Override
        public void onEvents(List<WatchEvent> events) {
            threads.add(Thread.currentThread().getName());
            batches.add(events);
        }

        @Override
        public void onError(MetadataStoreException error) {
            errors.add(error);
        }

        List<WatchEvent> events() {
            return batches.stream().flatMap(List::stream).toList();
        }

        List<String> summary() {
            return events().stream().map(e -> e.type() + " " + e.key()).toList();
        }
    }

    @Test
    void aWatchDeliversPutsAndDeletesInRevisionOrderOnOneThread() {
        Recorder recorder = new Recorder();
        try (Watch ignored = store.watchPrefix("w/", 0, recorder)) {
            for (int i = 0; i < 20; i++) {
                put("w/" + i, "v");
            }
            store.txn(List.of(), List.of(Op.delete("w/3")));

            await().atMost(Duration.ofSeconds(10)).until(() -> recorder.events().size() == 21);
        }
        List<WatchEvent> events = recorder.events();
        assertThat(events).extracting(WatchEvent::revision).isSorted().doesNotHaveDuplicates();
        assertThat(events.get(20).type()).isEqualTo(WatchEvent.Type.DELETE);
        assertThat(events.get(20).key()).isEqualTo("w/3");
        assertThat(events.get(0).kv().valueAsString()).isEqualTo("v");
        assertThat(recorder.threads).hasSize(1);
    }

    @Test
    void aWatchDeliversOneTransactionsEventsInOneCall() {
        Recorder recorder = new Recorder();
        try (Watch ignored = store.watchPrefix("w/", 0, recorder)) {
            TxnResult r = store.txn(List.of(), List.of(Op.put("w/a", bytes("1")), Op.put("w/b", bytes("1")), Op.put("x", bytes("1"))));

            await().atMost(Duration.ofSeconds(10)).until(() -> !recorder.batches.isEmpty());
            assertThat(recorder.batches.get(0)).extracting(WatchEvent::key).containsExactly("w/a", "w/b");
            assertThat(recorder.batches.get(0)).extracting(WatchEvent::revision).containsOnly(r.revision());
        }
    }

    @Test
    void aWatchSeesOnlyKeysUnderItsPrefix() {
        Recorder recorder = new Recorder();
        try (Watch ignored = store.watchPrefix("mine/", 0, recorder)) {
            put("other/1", "v");
            put("mine", "v");
            put("mine/1", "v");

            await().atMost(Duration.ofSeconds(10)).until(() -> recorder.events().size() == 1);
            put("mine/2", "v");
            await().atMost(Duration.ofSeconds(10)).until(() -> recorder.events().size() == 2);
        }
        assertThat(recorder.summary()).containsExactly("PUT mine/1", "PUT mine/2");
    }

    @Test
    void aWatchFromAPastRevisionReplaysWhatChangedSince() {
        long from = put("h/1", "v").revision();
        put("h/2", "v");
        store.txn(List.of(), List.of(Op.delete("h/1")));
        Recorder recorder = new Recorder();

        try (Watch ignored = store.watchPrefix("h/", from, recorder)) {
            put("h/3", "v");
            await().atMost(Duration.ofSeconds(10)).until(() -> recorder.events().size() == 4);
        }
        assertThat(recorder.summary()).containsExactly("PUT h/1", "PUT h/2", "DELETE h/1", "PUT h/3");
    }

    @Test
    void aWatchStartedAfterARangeReadSeesEachLaterChangeOnce() {
        put("r/1", "v");
        KeyRange range = store.getPrefix("r/");
        put("r/2", "v");
        Recorder recorder = new Recorder();

        try (Watch ignored = store.watchPrefix("r/", range.revision() + 1, recorder)) {
            put("r/3", "v");
            await().atMost(Duration.ofSeconds(10)).until(() -> recorder.events().size() == 2);
        }
        assertThat(recorder.summary()).containsExactly("PUT r/2", "PUT r/3");
    }

    @Test
    void aClosedWatchReceivesNothingMore() {
        Recorder recorder = new Recorder();
        Recorder control = new Recorder();
        try (Watch ignored = store.watchPrefix("c/", 0, control)) {
            Watch watch = store.watchPrefix("c/", 0, recorder);
            put("c/1", "v");
            await().atMost(Duration.ofSeconds(10)).until(() -> recorder.events().size() == 1);

            watch.close();
            put("c/2", "v");
            await().atMost(Duration.ofSeconds(10)).until(() -> control.events().size() == 2);
        }
        assertThat(recorder.summary()).containsExactly("PUT c/1");
        assertThat(recorder.errors).isEmpty();
    }

    @Test
    void watchersSeeAnExpiredLeasesKeysAsDeletes() {
        Lease lease = store.grantLease(Duration.ofSeconds(2));
        store.txn(List.of(), List.of(Op.put("e/1", bytes("v"), lease.id())));
        Recorder recorder = new Recorder();
        try (Watch ignored = store.watchPrefix("e/", 0, recorder)) {
            letTimePass(Duration.ofMillis(2100));

            await().atMost(timeDrivenWait()).until(() -> recorder.events().size() == 1);
        }
        assertThat(recorder.summary()).containsExactly("DELETE e/1");
        assertThat(recorder.events().get(0).revision()).isEqualTo(recorder.events().get(0).kv().modRevision());
    }

    @Test
    void aWatchListenerThatThrowsKeepsItsWatch() {
        List<String> seen = new CopyOnWriteArrayList<>();
        try (Watch ignored = store.watchPrefix("x/", 0, events -> {
            seen.add(events.get(0).key());
            throw new IllegalStateException("listener bug");
        })) {
            put("x/1", "v");
            put("x/2", "v");
            await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 2);
        }
    }

    // ---- durability and lifecycle ----

    @Test
    void committedDataSurvivesAReopen() throws Exception {
        put("d/1", "one");
        long rev = store.txn(List.of(), List.of(Op.put("d/2", bytes("two")), Op.put("d/3", bytes("three")))).revision();
        store.txn(List.of(), List.of(Op.delete("d/3")));
        KeyValue before = store.get("d/2").orElseThrow();
        long revisionBefore = store.currentRevision();

        store.close();
        store = reopen(store);

        assertThat(store.getPrefix("d/").kvs().stream().map(KeyValue::valueAsString).collect(Collectors.toList()))
                .containsExactly("one", "two");
        assertThat(store.get("d/2")).contains(before);
        assertThat(before.modRevision()).isEqualTo(rev);
        assertThat(store.currentRevision()).isGreaterThanOrEqualTo(revisionBefore);
    }

    @Test
    void aProbeAnswersTheCurrentRevisionAndFailsAsClosedOnceTheStoreIsClosed() {
        long revision = put("p", "1").revision();

        assertThat(store.probe(Duration.ofSeconds(1))).isEqualTo(revision).isEqualTo(store.currentRevision());
        store.close();
        assertThatThrownBy(() -> store.probe(Duration.ofSeconds(1))).isInstanceOfSatisfying(MetadataStoreException.class,
                e -> assertThat(e.reason()).isEqualTo(MetadataStoreException.Reason.CLOSED));
    }

    @Test
    void callsOnAClosedStoreFailAsClosed() {
        store.close();

        assertThatThrownBy(() -> store.get("k")).isInstanceOfSatisfying(MetadataStoreException.class,
                e -> assertThat(e.reason()).isEqualTo(MetadataStoreException.Reason.CLOSED));
        assertThatThrownBy(() -> put("k", "v")).isInstanceOf(MetadataStoreException.class);
        store.close();
    }

    @Test
    void closingTheStoreEndsItsWatchesWithAnError() throws Exception {
        Recorder recorder = new Recorder();
        store.watchPrefix("", 0, recorder);

        store.close();

        await().atMost(Duration.ofSeconds(10)).until(() -> recorder.errors.size() == 1);
        assertThat(recorder.errors.get(0).reason()).isEqualTo(MetadataStoreException.Reason.CLOSED);
    }
}
