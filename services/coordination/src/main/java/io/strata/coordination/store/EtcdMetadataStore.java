package io.strata.coordination.store;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lease.LeaseGrantResponse;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.MethodDescriptor;
import org.jboss.logging.Logger;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The metadata store on etcd (v3 API, through jetcd 0.8.5), for coordination instances that
 * share their state. The {@link MetadataStore} contract is etcd's own; this class only maps it.
 *
 * <h2>Mapping</h2>
 * <ul>
 *   <li>Store key {@code k} is etcd key {@code <root>/k} ({@link EtcdKeys}); revisions,
 *       versions and lease ids are etcd's.</li>
 *   <li>{@link #txn}: one etcd Txn. {@link Compare.ModRevision} and
 *       {@link Compare.CreateRevision} are {@code mod_revision ==} and {@code create_revision ==}
 *       compares (0 = absent, as in etcd), {@link Compare.ValueEquals} a {@code value ==}
 *       compare; {@link Op.Put} a put with its lease, {@link Op.Delete} a delete,
 *       {@link Op.DeletePrefix} a range delete of the prefix. Requests are checked by
 *       {@link TxnRules} first, exactly as in the embedded store, so nothing over etcd's
 *       limits (128 ops, 1.5 MiB) is ever sent.</li>
 *   <li>{@link #getPrefix}: one range read; {@link #getPrefixes}: one Txn of range reads, so
 *       every prefix is read at the same revision. {@link #currentRevision}: a count-only read
 *       of the root, whose header carries the revision.</li>
 *   <li>Leases: LeaseGrant with the TTL rounded up to whole seconds (etcd may raise it to its
 *       minimum, by default 2 s; {@link Lease#ttl()} tells what was granted), one LeaseKeepAlive
 *       exchange per {@link #keepAlive} (false when etcd says the lease is gone), LeaseRevoke.
 *       etcd expires leases itself; closing this store revokes nothing, so a restarted
 *       instance's sessions run out on their own.</li>
 *   <li>Watches: {@link EtcdWatchHub} (one notifier thread; streams resume from their next
 *       revision after an outage; compaction ends a watch with COMPACTED). A watch from "now"
 *       first reads the current revision {@code R} and watches from {@code R + 1}.</li>
 * </ul>
 *
 * <h2>Time and failures</h2>
 * Every call is bounded by the request timeout: each gRPC call but the watch streams carries
 * it as its deadline (jetcd waits for a connection within it and retries idempotent calls —
 * reads, lease grant and revoke — on UNAVAILABLE, never a write), and the caller waits at most
 * that long for the answer. After an outage the client reconnects within about a second of
 * etcd's return, not after grpc-java's growing backoff ({@link EtcdReconnect}).
 * Failures become {@link MetadataStoreException}s in {@link EtcdErrors}: etcd down,
 * unreachable or without a leader is {@code UNAVAILABLE}. A transaction that timed out may
 * have been applied; every write of coordination is guarded by a compare, so a retry after a
 * re-read is safe. The client connects lazily: opening the store does not contact etcd.
 *
 * <p>Thread-safe; the jetcd client does the I/O on its own threads.
 */
public final class EtcdMetadataStore implements MetadataStore {

    private static final Logger LOG = Logger.getLogger(EtcdMetadataStore.class);
    /** gRPC's full name prefix of etcd's Watch service: its streams live as long as the watch, without a deadline. */
    private static final String WATCH_SERVICE = "etcdserverpb.Watch/";

    private final String endpoints;
    private final EtcdKeys keys;
    private final Duration timeout;
    private final EtcdErrors errors;
    private final Client client;
    private final KV kv;
    private final io.etcd.jetcd.Lease leases;
    private final EtcdWatchHub watches;
    private final EtcdReconnect reconnect;
    private volatile boolean closed;

    public static Builder builder(List<URI> endpoints) {
        return new Builder(endpoints);
    }

    /** Settings of an etcd store: the endpoints, and a root and request timeout with defaults. */
    public static final class Builder {
        private final List<URI> endpoints;
        private String root = "/strata";
        private Duration requestTimeout = Duration.ofSeconds(5);

        private Builder(List<URI> endpoints) {
            Objects.requireNonNull(endpoints, "endpoints");
            if (endpoints.isEmpty()) {
                throw new IllegalArgumentException("at least one etcd endpoint is needed");
            }
            for (URI uri : endpoints) {
                if (!"http".equals(uri.getScheme()) || uri.getHost() == null || uri.getPort() < 0) {
                    throw new IllegalArgumentException("etcd endpoint " + uri + " must look like http://host:port");
                }
            }
            this.endpoints = List.copyOf(endpoints);
        }

        /** Every key lives under {@code <root>/}; default {@code /strata}. */
        public Builder root(String root) {
            this.root = Objects.requireNonNull(root, "root");
            return this;
        }

        /** The longest any call may take, waiting for a connection included; default 5 s. */
        public Builder requestTimeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("request timeout must be positive, not " + timeout);
            }
            this.requestTimeout = timeout;
            return this;
        }

        /** Creates the client; etcd is contacted by the first call, not here. */
        public EtcdMetadataStore open() {
            return new EtcdMetadataStore(this);
        }
    }

    private EtcdMetadataStore(Builder b) {
        this.endpoints = b.endpoints.stream().map(URI::toString).collect(Collectors.joining(","));
        this.keys = new EtcdKeys(b.root);
        this.timeout = b.requestTimeout;
        this.errors = new EtcdErrors(endpoints, timeout);
        this.client = Client.builder()
                .endpoints(b.endpoints.toArray(URI[]::new))
                .connectTimeout(timeout)
                .retryMaxDuration(timeout)
                // etcd bounds requests (1.5 MiB) but not answers: a range read of a big cluster may be large.
                .maxInboundMessageSize(Integer.MAX_VALUE)
                .interceptor(new Deadline(timeout))
                .build();
        this.kv = client.getKVClient();
        this.leases = client.getLeaseClient();
        this.watches = new EtcdWatchHub(client.getWatchClient(), keys, errors, "strata-etcd-watch");
        this.reconnect = new EtcdReconnect(client);
        LOG.infof("metadata store on etcd at %s under %s/ (request timeout %d ms)", endpoints, keys.root(), timeout.toMillis());
    }

    @Override
    public Optional<KeyValue> get(String key) {
        KeyOrder.checkKey(key);
        GetResponse response = call("get " + key, () -> kv.get(keys.key(key)));
        return response.getKvs().stream().findFirst().map(keys::keyValue);
    }

    @Override
    public KeyRange getPrefix(String prefix) {
        return getPrefixes(List.of(prefix));
    }

    @Override
    public KeyRange getPrefixes(Collection<String> prefixes) {
        TxnRules.checkPrefixes(prefixes);
        List<String> distinct = new ArrayList<>(new LinkedHashSet<>(prefixes));
        String what = "read prefixes " + distinct;
        if (distinct.size() == 1) {
            GetResponse response = call(what, () -> kv.get(keys.prefix(distinct.get(0)), prefixOption()));
            return new KeyRange(response.getKvs().stream().map(keys::keyValue).toList(), response.getHeader().getRevision());
        }
        io.etcd.jetcd.op.Op[] reads = distinct.stream()
                .map(p -> io.etcd.jetcd.op.Op.get(keys.prefix(p), prefixOption()))
                .toArray(io.etcd.jetcd.op.Op[]::new);
        TxnResponse response = call(what, () -> kv.txn().Then(reads).commit());
        TreeMap<String, KeyValue> merged = new TreeMap<>(KeyOrder.COMPARATOR);
        for (GetResponse read : response.getGetResponses()) {
            for (io.etcd.jetcd.KeyValue found : read.getKvs()) {
                KeyValue kv = keys.keyValue(found);
                merged.put(kv.key(), kv);
            }
        }
        return new KeyRange(new ArrayList<>(merged.values()), response.getHeader().getRevision());
    }

    @Override
    public TxnResult txn(List<Compare> compares, List<Op> ops) {
        TxnRules.checkTxn(compares, ops);
        Cmp[] cmps = compares.stream().map(this::toCmp).toArray(Cmp[]::new);
        io.etcd.jetcd.op.Op[] writes = ops.stream().map(this::toOp).toArray(io.etcd.jetcd.op.Op[]::new);
        TxnResponse response = call("transaction of " + compares.size() + " compares and " + ops.size() + " ops",
                () -> kv.txn().If(cmps).Then(writes).commit());
        return new TxnResult(response.isSucceeded(), response.getHeader().getRevision());
    }

    @Override
    public long currentRevision() {
        return readRevision("read the revision", timeout);
    }

    /** The count-only read of {@link #currentRevision()}, waited for at most {@code timeout} (capped by the request timeout). */
    @Override
    public long probe(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        return readRevision("probe", timeout.compareTo(this.timeout) < 0 ? timeout : this.timeout);
    }

    private long readRevision(String what, Duration wait) {
        GetResponse response = call(what, wait, () -> kv.get(keys.prefix(""), GetOption.builder().withCountOnly(true).build()));
        return response.getHeader().getRevision();
    }

    @Override
    public Lease grantLease(Duration ttl) {
        Objects.requireNonNull(ttl, "ttl");
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("lease TTL must be positive, not " + ttl);
        }
        long seconds = Math.max(1, (ttl.toMillis() + 999) / 1000);
        LeaseGrantResponse granted = call("grant a lease of " + seconds + " s", () -> leases.grant(seconds));
        return new Lease(granted.getID(), Duration.ofSeconds(granted.getTTL()));
    }

    @Override
    public boolean keepAlive(long leaseId) {
        try {
            LeaseKeepAliveResponse response = call("keep lease " + leaseId + " alive", () -> leases.keepAliveOnce(leaseId));
            return response.getTTL() > 0;
        } catch (MetadataStoreException e) {
            if (e.reason() == MetadataStoreException.Reason.LEASE_NOT_FOUND) {
                return false;
            }
            throw e;
        }
    }

    @Override
    public boolean revokeLease(long leaseId) {
        try {
            call("revoke lease " + leaseId, () -> leases.revoke(leaseId));
            return true;
        } catch (MetadataStoreException e) {
            if (e.reason() == MetadataStoreException.Reason.LEASE_NOT_FOUND) {
                return false;
            }
            throw e;
        }
    }

    @Override
    public Watch watchPrefix(String prefix, long fromRevision, WatchListener listener) {
        KeyOrder.checkPrefix(prefix);
        Objects.requireNonNull(listener, "listener");
        long from = fromRevision > 0 ? fromRevision : currentRevision() + 1;
        checkOpen("watch '" + prefix + "'");
        return watches.register(prefix, from, listener);
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        watches.close(errors.closed("watch"));
        client.close();
        LOG.debugf("metadata store on etcd at %s closed", endpoints);
    }

    @Override
    public String toString() {
        return "EtcdMetadataStore[" + endpoints + " " + keys.root() + "/]";
    }

    // ---- internals ----

    /** Runs one jetcd call and waits for it at most the request timeout; converts every failure. */
    private <T> T call(String what, Supplier<CompletableFuture<T>> request) {
        return call(what, timeout, request);
    }

    /**
     * Runs one jetcd call and waits for it at most {@code wait}; converts every failure. A
     * shorter wait than the request timeout stops the waiting, not the gRPC call, which runs
     * out at its deadline.
     */
    private <T> T call(String what, Duration wait, Supplier<CompletableFuture<T>> request) {
        checkOpen(what);
        reconnect.beforeCall();
        CompletableFuture<T> future;
        try {
            future = request.get();
        } catch (RuntimeException e) {
            throw errors.convert(what, e, closed);
        }
        try {
            return future.get(wait.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw closed ? errors.closed(what) : errors.timedOut(what, wait);
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw errors.interrupted(what, e);
        } catch (ExecutionException e) {
            throw errors.convert(what, e.getCause(), closed);
        } catch (RuntimeException e) {
            // CancellationException: only this method cancels, so only a racing close() gets here.
            throw errors.convert(what, e, closed);
        }
    }

    private void checkOpen(String what) {
        if (closed) {
            throw errors.closed(what);
        }
    }

    private static GetOption prefixOption() {
        return GetOption.builder().isPrefix(true).build();
    }

    private Cmp toCmp(Compare compare) {
        ByteSequence key = keys.key(compare.key());
        return switch (compare) {
            case Compare.ModRevision m -> new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(m.revision()));
            case Compare.CreateRevision c -> new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(c.revision()));
            case Compare.ValueEquals v -> new Cmp(key, Cmp.Op.EQUAL, CmpTarget.value(ByteSequence.from(v.value())));
        };
    }

    private io.etcd.jetcd.op.Op toOp(Op op) {
        return switch (op) {
            case Op.Put put -> io.etcd.jetcd.op.Op.put(keys.key(put.key()), ByteSequence.from(put.value()),
                    PutOption.builder().withLeaseId(put.leaseId()).build());
            case Op.Delete delete -> io.etcd.jetcd.op.Op.delete(keys.key(delete.key()), DeleteOption.DEFAULT);
            case Op.DeletePrefix dp -> io.etcd.jetcd.op.Op.delete(keys.prefix(dp.prefix()),
                    DeleteOption.builder().isPrefix(true).build());
        };
    }

    /** Gives every call but a watch stream the request timeout as its gRPC deadline. */
    private record Deadline(Duration timeout) implements ClientInterceptor {
        @Override
        public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
            boolean stream = method.getFullMethodName().startsWith(WATCH_SERVICE);
            CallOptions bounded = stream || options.getDeadline() != null ? options
                    : options.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return next.newCall(method, bounded);
        }
    }
}
