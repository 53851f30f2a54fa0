package io.strata.coordination.grpc;

import io.strata.coordination.store.Compare;
import io.strata.coordination.store.KeyRange;
import io.strata.coordination.store.KeyValue;
import io.strata.coordination.store.Lease;
import io.strata.coordination.store.MetadataStore;
import io.strata.coordination.store.Op;
import io.strata.coordination.store.TxnResult;
import io.strata.coordination.store.Watch;
import io.strata.coordination.store.WatchListener;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** A store that counts its open watches, so tests can prove streams do not leak them. */
final class WatchCountingStore implements MetadataStore {

    private final MetadataStore delegate;
    private final AtomicInteger openWatches = new AtomicInteger();

    WatchCountingStore(MetadataStore delegate) {
        this.delegate = delegate;
    }

    int openWatches() {
        return openWatches.get();
    }

    MetadataStore delegate() {
        return delegate;
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
        return delegate.grantLease(ttl);
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
        Watch watch = delegate.watchPrefix(prefix, fromRevision, listener);
        openWatches.incrementAndGet();
        AtomicBoolean closed = new AtomicBoolean();
        return () -> {
            if (closed.compareAndSet(false, true)) {
                openWatches.decrementAndGet();
            }
            watch.close();
        };
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public String toString() {
        return delegate.toString();
    }
}
