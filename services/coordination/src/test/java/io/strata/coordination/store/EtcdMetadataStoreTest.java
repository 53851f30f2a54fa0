package io.strata.coordination.store;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.grpc.Status;
import io.strata.coordination.testing.EtcdExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The whole contract on a real etcd (one etcd for the class, a random root per test), plus
 * what only the etcd store does: the root prefix, etcd's own limits, compaction, and jetcd
 * working on this module's classpath (Quarkus's Vert.x 4 and grpc-java).
 *
 * <p>Leases granted by a test are revoked after it: one that ran out during a later test
 * would delete its keys at a new etcd revision and break that test's revision arithmetic
 * (revisions are etcd-wide, roots are not).
 */
class EtcdMetadataStoreTest extends MetadataStoreContractTest {

    @RegisterExtension
    static final EtcdExtension ETCD = new EtcdExtension();

    private final Set<Long> grantedLeases = ConcurrentHashMap.newKeySet();
    private String root;

    private EtcdMetadataStore open(String storeRoot) {
        return EtcdMetadataStore.builder(ETCD.endpoints()).root(storeRoot).requestTimeout(Duration.ofSeconds(5)).open();
    }

    @Override
    protected MetadataStore createStore() {
        root = EtcdExtension.newRoot();
        return new LeaseRecordingStore(open(root), grantedLeases);
    }

    @Override
    protected MetadataStore reopen(MetadataStore closed) {
        return new LeaseRecordingStore(open(root), grantedLeases);
    }

    @Override
    protected void letTimePass(Duration d) {
        await().pollDelay(d).atMost(d.plusSeconds(1)).until(() -> true);
    }

    @AfterEach
    void revokeGrantedLeases() {
        try (EtcdMetadataStore cleaner = open(root)) {
            grantedLeases.forEach(cleaner::revokeLease);
        }
    }

    private Client rawClient() {
        return Client.builder().endpoints(ETCD.endpoint()).build();
    }

    private static ByteSequence utf8(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    /**
     * jetcd 0.8.6+ is built on Vert.x 5 and fails at its first KV call under Quarkus's Vert.x 4
     * (NoSuchMethodError in io.vertx.grpc); this is that first call, without the store around it.
     */
    @Test
    void jetcdTalksToEtcdOnThisModulesClasspath() throws Exception {
        try (Client client = rawClient()) {
            client.getKVClient().put(utf8(root + "/raw"), utf8("v")).get(5, TimeUnit.SECONDS);

            assertThat(client.getKVClient().get(utf8(root + "/raw")).get(5, TimeUnit.SECONDS).getKvs())
                    .singleElement().satisfies(kv -> assertThat(kv.getValue().toString(StandardCharsets.UTF_8)).isEqualTo("v"));
        }
        assertThat(valueOf("raw")).isEqualTo("v");
    }

    @Test
    void keysLiveUnderTheRootAndAStoreSeesOnlyItsOwnRoot() throws Exception {
        put("topics/a", "mine");
        try (MetadataStore other = open(EtcdExtension.newRoot()); Client client = rawClient()) {
            other.txn(List.of(), List.of(Op.put("topics/a", bytes("theirs"))));

            assertThat(client.getKVClient().get(utf8(root + "/topics/a")).get(5, TimeUnit.SECONDS).getKvs())
                    .singleElement().satisfies(kv -> assertThat(kv.getValue().toString(StandardCharsets.UTF_8)).isEqualTo("mine"));
            store.txn(List.of(), List.of(Op.deletePrefix("")));

            assertThat(store.getPrefix("").kvs()).isEmpty();
            assertThat(other.get("topics/a").map(KeyValue::valueAsString)).contains("theirs");
            assertThat(client.getKVClient().get(utf8(root + "/"), GetOption.builder().isPrefix(true).build())
                    .get(5, TimeUnit.SECONDS).getCount()).isZero();
        }
    }

    @Test
    void etcdItselfRefusesMoreOpsThanTheLimitAndTheStoreRefusesThemFirstLikeTheEmbeddedStore() {
        List<io.etcd.jetcd.op.Op> raw = IntStream.rangeClosed(0, MetadataStore.MAX_TXN_OPS)
                .mapToObj(i -> (io.etcd.jetcd.op.Op) io.etcd.jetcd.op.Op.put(utf8(root + "/raw/" + i), utf8("v"), PutOption.DEFAULT))
                .toList();
        try (Client client = rawClient()) {
            assertThatThrownBy(() -> client.getKVClient().txn().Then(raw.toArray(io.etcd.jetcd.op.Op[]::new)).commit()
                    .get(5, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .satisfies(e -> assertThat(EtcdErrors.codeOf(e)).isEqualTo(Status.Code.INVALID_ARGUMENT))
                    .hasMessageContaining("too many operations");
        }
        List<Op> ops = IntStream.rangeClosed(0, MetadataStore.MAX_TXN_OPS).mapToObj(i -> Op.put("k/" + i, bytes("v"))).toList();

        assertThatThrownBy(() -> store.txn(List.of(), ops)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a transaction holds at most 128 compares and 128 ops; this one has 0 and 129: split it");
        assertThat(store.getPrefix("").kvs()).isEmpty();
    }

    @Test
    void aWatchFromACompactedRevisionEndsWithCompactedWhileARunningWatchGoesOn() throws Exception {
        long first = put("c/k", "1").revision();
        Recorder running = new Recorder();
        try (Watch ignored = store.watchPrefix("c/", first + 1, running)) {
            long third = store.txn(List.of(), List.of(Op.put("c/k", bytes("2")), Op.put("c/l", bytes("2")))).revision();
            try (Client client = rawClient()) {
                client.getKVClient().compact(third).get(5, TimeUnit.SECONDS);
            }
            Recorder compacted = new Recorder();
            Recorder atCompaction = new Recorder();

            store.watchPrefix("c/", first, compacted);
            store.watchPrefix("c/", third, atCompaction);
            put("c/k", "3");

            await().atMost(Duration.ofSeconds(10)).until(() -> compacted.errors.size() == 1
                    && atCompaction.events().size() == 3 && running.events().size() == 3);
            assertThat(compacted.errors.get(0).reason()).isEqualTo(MetadataStoreException.Reason.COMPACTED);
            assertThat(compacted.errors.get(0)).hasMessageContaining("compacted");
            assertThat(compacted.events()).isEmpty();
            assertThat(running.summary()).containsExactly("PUT c/k", "PUT c/l", "PUT c/k");
            assertThat(running.errors).isEmpty();
        }
    }

    @Test
    void aLeaseTimeToLiveIsRoundedUpToWholeSecondsAndEtcdsMinimum() {
        Lease lease = store.grantLease(Duration.ofMillis(2500));
        Lease tiny = store.grantLease(Duration.ofMillis(1));

        assertThat(lease.ttl()).isEqualTo(Duration.ofSeconds(3));
        assertThat(tiny.ttl()).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void closedStoresLeaveNoThreadsBehind() {
        long before = etcdClientThreads();
        for (int i = 0; i < 3; i++) {
            try (EtcdMetadataStore other = open(root)) {
                other.watchPrefix("", 0, events -> { });
                other.txn(List.of(), List.of(Op.put("t/" + i, bytes("v"))));
            }
        }

        await().atMost(Duration.ofSeconds(10)).until(() -> etcdClientThreads() <= before);
    }

    /** Threads of this store (its watch notifier) and of the jetcd clients under it (their Vert.x and executors). */
    private static long etcdClientThreads() {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(n -> n.startsWith("strata-etcd-") || n.startsWith("vert.x-") || n.startsWith("vertx-") || n.startsWith("jetcd-"))
                .count();
    }

    /** Records the ids of granted leases, so the test can revoke them after. */
    private static final class LeaseRecordingStore implements MetadataStore {
        private final MetadataStore delegate;
        private final Set<Long> granted;

        LeaseRecordingStore(MetadataStore delegate, Set<Long> granted) {
            this.delegate = delegate;
            this.granted = granted;
        }

        @Override
        public Optional<KeyValue> get(String key) {
            return delegate.get(key);
        }

        @Override
        public KeyRange getPrefix(String prefix) {
            return delegate.getPrefix(prefix);
        }

        @Override
        public KeyRange getPrefixes(Collection<String> prefixes) {
            return delegate.getPrefixes(prefixes);
        }

        @Override
        public TxnResult txn(List<Compare> compares, List<Op> ops) {
            return delegate.txn(compares, ops);
        }

        @Override
        public long currentRevision() {
            return delegate.currentRevision();
        }

        @Override
        public long probe(Duration timeout) {
            return delegate.probe(timeout);
        }

        @Override
        public Lease grantLease(Duration ttl) {
            Lease lease = delegate.grantLease(ttl);
            granted.add(lease.id());
            return lease;
        }

        @Override
        public boolean keepAlive(long leaseId) {
            return delegate.keepAlive(leaseId);
        }

        @Override
        public boolean revokeLease(long leaseId) {
            return delegate.revokeLease(leaseId);
        }

        @Override
        public Watch watchPrefix(String prefix, long fromRevision, WatchListener listener) {
            return delegate.watchPrefix(prefix, fromRevision, listener);
        }

        @Override
        public void close() {
            delegate.close();
        }
    }
}
