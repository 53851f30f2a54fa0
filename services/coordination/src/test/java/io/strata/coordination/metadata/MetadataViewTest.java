package io.strata.coordination.metadata;

import io.strata.coordination.layout.Keys;
import io.strata.coordination.store.EmbeddedMetadataStore;
import io.strata.coordination.store.EtcdMetadataStore;
import io.strata.coordination.store.KeyValue;
import io.strata.coordination.store.Lease;
import io.strata.coordination.store.MetadataStore;
import io.strata.coordination.store.MetadataStoreException;
import io.strata.coordination.store.Op;
import io.strata.coordination.testing.EtcdExtension;
import io.strata.proto.v1.NodeRole;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(60)
class MetadataViewTest {

    @RegisterExtension
    static final EtcdExtension ETCD = new EtcdExtension();

    @TempDir
    Path dir;

    private MetadataStore store;
    private MetadataView view;

    @AfterEach
    void close() {
        if (view != null) {
            view.close();
        }
        if (store != null) {
            store.close();
        }
    }

    private MetadataView embedded() {
        store = EmbeddedMetadataStore.open(dir);
        view = new MetadataView(store);
        return view;
    }

    private static List<String> keys(MetadataView.Snapshot s) {
        return s.routing().kvs().stream().map(KeyValue::key).sorted().toList();
    }

    private void put(String key) {
        store.txn(List.of(), List.of(Op.put(key, key.getBytes(StandardCharsets.UTF_8))));
    }

    @Test
    void everyWriteAcknowledgedBeforeTheRevisionIsInTheSnapshot() {
        embedded();
        for (int i = 0; i < 200; i++) {
            put(Keys.partition("t", i));
            if (i % 3 == 0) {
                store.txn(List.of(), List.of(Op.delete(Keys.partition("t", i))));
            }
            MetadataView.Snapshot s = view.snapshot(store.currentRevision());
            assertThat(s.routing().kvs()).hasSize(i + 1 - (i / 3 + 1));
            assertThat(s.revision()).isEqualTo(store.currentRevision());
        }
        // One load at the start; every later change came through the watch.
        assertThat(view.reloadCount()).isEqualTo(1);
    }

    @Test
    void writesOutsideTheRoutingKeysAdvanceTheRevisionButNotTheVersion() {
        embedded();
        put(Keys.topic("orders"));
        MetadataView.Snapshot before = view.snapshot(store.currentRevision());
        put(Keys.PRODUCER_ID_NEXT);
        put(Keys.electionPrefix("groups") + "1");
        MetadataView.Snapshot after = view.snapshot(store.currentRevision());
        assertThat(after.revision()).isGreaterThan(before.revision());
        assertThat(after.version()).isEqualTo(before.version());
        assertThat(after.routing()).isSameAs(before.routing());
        assertThat(keys(after)).containsExactly(Keys.topic("orders"));
        assertThat(view.reloadCount()).isEqualTo(1);
    }

    @Test
    void aNodeWhoseLeaseEndsLeavesTheView() {
        embedded();
        Lease lease = store.grantLease(Duration.ofSeconds(30));
        String node = Keys.node(NodeRole.STORAGE, "7");
        store.txn(List.of(), List.of(Op.put(node, new byte[] {1}, lease.id())));
        assertThat(keys(view.snapshot(store.currentRevision()))).containsExactly(node);
        store.revokeLease(lease.id());
        assertThat(keys(view.snapshot(store.currentRevision()))).isEmpty();
    }

    @Test
    void aClosedViewRefusesReads() {
        embedded().close();
        assertThatThrownBy(() -> view.snapshot(0)).isInstanceOf(MetadataStoreException.class)
                .hasMessageContaining("shutting down");
    }

    @Test
    void aWriteOutsideTheRootIsCaughtUpWithByAReloadOnEtcd() {
        store = EtcdMetadataStore.builder(ETCD.endpoints()).root(EtcdExtension.newRoot()).open();
        view = new MetadataView(store);
        try (MetadataStore neighbour = EtcdMetadataStore.builder(ETCD.endpoints()).root(EtcdExtension.newRoot()).open()) {
            put(Keys.topic("mine"));
            view.snapshot(store.currentRevision());
            long reloads = view.reloadCount();
            // Someone else's key on the same etcd: the revision moves, our watch sees nothing.
            neighbour.txn(List.of(), List.of(Op.put("other", new byte[] {1})));
            MetadataView.Snapshot s = view.snapshot(store.currentRevision());
            assertThat(s.revision()).isEqualTo(store.currentRevision());
            assertThat(keys(s)).containsExactly(Keys.topic("mine"));
            assertThat(view.reloadCount()).isEqualTo(reloads + 1);
            // Our own writes keep coming through the watch.
            put(Keys.topic("second"));
            assertThat(keys(view.snapshot(store.currentRevision()))).containsExactly(Keys.topic("mine"), Keys.topic("second"));
            assertThat(view.reloadCount()).isEqualTo(reloads + 1);
        }
    }
}
