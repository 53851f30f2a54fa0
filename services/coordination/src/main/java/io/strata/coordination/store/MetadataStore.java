package io.strata.coordination.store;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * The metadata store coordination keeps all cluster state in: a sorted, revisioned key-value
 * map with etcd's semantics. Two implementations: {@link EmbeddedMetadataStore} (standalone,
 * in memory plus a journal on disk) and {@link EtcdMetadataStore} (etcd through jetcd).
 * {@code MetadataStoreContractTest} runs the same tests against both; anything this page
 * promises is tested there.
 *
 * <h2>Keys, values, revisions</h2>
 * <ul>
 *   <li>Keys are non-empty strings <em>relative to the store's root</em> (config
 *       {@code strata.metadata.root}, default {@code /strata}); the etcd implementation
 *       stores key {@code k} as etcd key {@code <root>/k} and never touches a key outside
 *       {@code <root>/}; the embedded one is private to its directory and needs no root.
 *       Keys sort by code point (= UTF-8 byte order, etcd's order). Values are opaque bytes
 *       (coordination stores protobuf messages). Limits, as etcd's defaults: a key at most
 *       {@value #MAX_KEY_BYTES} UTF-8 bytes, a value at most {@value #MAX_VALUE_BYTES} bytes.</li>
 *   <li>The store has one revision counter. Every transaction that changes at least one key
 *       raises it by exactly one, and all its changes carry that revision; a transaction that
 *       changes nothing (failed compares, deleting absent keys) leaves it alone. A fresh store
 *       is at revision 1, so a key's {@code createRevision} is never 0 — 0 means "absent" in
 *       a {@link Compare}.</li>
 *   <li>{@link KeyValue#version()} counts puts since the key was (re)created, starting at 1.</li>
 * </ul>
 *
 * <h2>Transactions</h2>
 * {@link #txn(List, List)}: if every {@link Compare} holds, every {@link Op} is applied,
 * atomically, at one new revision; otherwise nothing is applied. A value compare on an absent
 * key is false (etcd's rule); revision compares on an absent key see 0. etcd's limits are
 * enforced everywhere so code tested on the embedded store works on etcd: at most
 * {@value #MAX_TXN_OPS} compares and {@value #MAX_TXN_OPS} ops, at most
 * {@value #MAX_TXN_BYTES} bytes of keys and values in all (etcd refuses requests over
 * 1.5 MiB), no key written twice in one transaction, no put inside a prefix the same
 * transaction deletes. Bigger writes must be split into several transactions by the caller.
 *
 * <h2>Leases</h2>
 * A lease is a session: a put may bind a key to a lease; when the lease expires (no
 * {@link #keepAlive(long)} within its TTL) or is revoked, all keys bound to it are deleted in
 * one transaction, which watchers see as DELETE events. A put of a key with another lease (or
 * none) moves the key to that lease. Implementations may round a TTL up (etcd: whole seconds,
 * and a cluster minimum). The embedded store keeps leases in memory only: after a restart
 * every lease is gone, as if all sessions had expired, and so are the keys bound to them.
 *
 * <h2>Watches</h2>
 * {@link #watchPrefix(String, long, WatchListener)} delivers every change under a prefix from
 * a start revision on, in revision order, each revision's events in one
 * {@link WatchListener#onEvents(List)} call, on the store's single notifier thread (so
 * listeners must return quickly: a slow listener delays every other watch of the store).
 * Starting at a revision older than the store still remembers fails the watch with a
 * {@link MetadataStoreException.Reason#COMPACTED} error. A watch ends on {@link Watch#close()}
 * or with one {@link WatchListener#onError} call (compaction, store closed or failed).
 *
 * <h2>Threads and time</h2>
 * Implementations are thread-safe. Every method is synchronous and returns within a bounded
 * time (etcd: the request timeout, {@code strata.metadata.request.timeout.ms}) or throws; none
 * waits forever. A transaction that fails with {@code UNAVAILABLE} may or may not have been
 * applied (etcd may have committed it before the answer was lost): guard writes with compares,
 * as every write here is, and re-read before retrying.
 *
 * <h2>Errors</h2>
 * Every method throws {@link IllegalArgumentException} (or {@link NullPointerException}) for
 * a request that breaks the rules above — a caller's bug, never worth a retry — and
 * {@link MetadataStoreException} when the store cannot answer: its
 * {@link MetadataStoreException#reason() reason} says whether a retry may help
 * ({@code UNAVAILABLE}) or not ({@code CLOSED}, {@code FAILED}). A put bound to a lease that
 * does not exist fails the whole transaction with reason {@code LEASE_NOT_FOUND}.
 */
public interface MetadataStore extends AutoCloseable {

    /** etcd's default {@code --max-txn-ops}: the most compares, and the most ops, one transaction may hold. */
    int MAX_TXN_OPS = 128;

    /** The longest key, in UTF-8 bytes. */
    int MAX_KEY_BYTES = 3 * 1024;

    /**
     * The most bytes of keys and values (UTF-8 keys of compares and ops, compared and written
     * values) one transaction may carry: etcd's default request limit ({@code --max-request-bytes},
     * 1.5 MiB) less 64 KiB for the encoding and the root prefix the etcd store adds to every key.
     */
    int MAX_TXN_BYTES = 1536 * 1024 - 64 * 1024;

    /** The largest value: what a transaction may carry next to the longest key. */
    int MAX_VALUE_BYTES = MAX_TXN_BYTES - MAX_KEY_BYTES;

    /** The key's current value, or empty when it does not exist. */
    Optional<KeyValue> get(String key);

    /** Every key starting with {@code prefix} ({@code ""} = all keys), sorted, read at one revision. */
    KeyRange getPrefix(String prefix);

    /**
     * Every key under any of the prefixes, read atomically at one revision (in etcd: one
     * transaction of range reads), merged and sorted. Use it when two parts of the state must
     * agree, e.g. topics and their partitions. At most {@value #MAX_TXN_OPS} prefixes.
     */
    KeyRange getPrefixes(Collection<String> prefixes);

    /**
     * Applies {@code ops} atomically if every compare holds.
     *
     * @return whether it applied, and the store revision after it (the new revision when it
     *     changed something, else the current one)
     * @throws MetadataStoreException with reason LEASE_NOT_FOUND when the compares hold but a
     *     put names a lease that does not exist (nothing is applied; as in etcd, leases are
     *     checked only for a transaction that would apply)
     */
    TxnResult txn(List<Compare> compares, List<Op> ops);

    /** The store's current revision. */
    long currentRevision();

    /**
     * Whether the store answers now: its cheapest read, waiting at most {@code timeout} (or
     * the request timeout, if that is shorter). For a health check that probes every second,
     * which must not wait a whole request timeout to see that etcd hangs. The embedded store
     * answers from memory and fails only when closed or failed.
     *
     * @return the store's current revision
     * @throws MetadataStoreException UNAVAILABLE when the store did not answer within
     *     {@code timeout}; CLOSED or FAILED as any other call
     */
    long probe(Duration timeout);

    /** Creates a lease that expires {@code ttl} after its last keep-alive. */
    Lease grantLease(Duration ttl);

    /**
     * Restarts the lease's TTL.
     *
     * @return false when the lease has expired, was revoked or never existed
     */
    boolean keepAlive(long leaseId);

    /**
     * Ends the lease now and deletes every key bound to it (one transaction).
     *
     * @return false when the lease did not exist (already expired or revoked)
     */
    boolean revokeLease(long leaseId);

    /**
     * Watches every key starting with {@code prefix}.
     *
     * @param fromRevision the first revision to deliver; 0 or less = changes after now
     * @return a handle; closing it stops deliveries (one already running may finish)
     */
    Watch watchPrefix(String prefix, long fromRevision, WatchListener listener);

    /** Releases the store; later calls throw {@link MetadataStoreException} (CLOSED). Idempotent. */
    @Override
    void close();
}
