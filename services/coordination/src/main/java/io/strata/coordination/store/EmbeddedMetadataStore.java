package io.strata.coordination.store;

import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The metadata store of standalone: the whole state in memory (a sorted map), made durable
 * in one directory. The {@link MetadataStore} contract is etcd's; this class adds only how it
 * keeps it.
 *
 * <h2>Files in the directory</h2>
 * <ul>
 *   <li>{@code snapshot} — every key at one revision ({@link SnapshotFile}, magic "STMS").</li>
 *   <li>{@code journal} — every transaction committed since, one CRC-protected entry each
 *       ({@link JournalFile}, magic "STMJ"). A transaction returns only after its entry is
 *       fsynced, so an acknowledged write survives kill -9 and power loss.</li>
 *   <li>{@code LOCK} — held (an OS file lock) while a store is open, so two processes never
 *       share a directory.</li>
 * </ul>
 * Opening reads the snapshot, replays the journal up to the first torn or damaged entry
 * (dropping the rest, with a warning naming the bytes cut), deletes every key bound to a
 * lease (leases live in memory only: after a restart every session counts as expired), then
 * writes a fresh snapshot and an empty journal. While running, a new snapshot is written and
 * the journal restarted whenever the journal grows past {@link Builder#snapshotThresholdBytes}.
 *
 * <h2>Concurrency</h2>
 * One lock guards the map, the leases and the files; every method holds it for its whole
 * work, fsync included (metadata writes are rare and small: coordination is off the data
 * path). Watch events are queued under the lock and delivered by {@link WatchHub}'s notifier
 * thread. A daemon thread checks lease expiry every {@link Builder#leaseCheckInterval}
 * against the injected {@link Clock}; every call also expires overdue leases first, so a
 * test that moves a fake clock sees expiry at the next call.
 *
 * <h2>Failure</h2>
 * An I/O error while writing the journal or a snapshot makes the store fail for good (sticky):
 * that call and every later one throw {@link MetadataStoreException} with reason FAILED, and
 * memory never runs ahead of the disk. Restarting the process recovers from the files.
 */
public final class EmbeddedMetadataStore implements MetadataStore {

    private static final Logger LOG = Logger.getLogger(EmbeddedMetadataStore.class);
    private static final String LOCK_FILE = "LOCK";
    private static final long INITIAL_REVISION = 1;

    private final Path dir;
    private final Clock clock;
    private final long snapshotThresholdBytes;
    private final Object lock = new Object();
    private final TreeMap<String, KeyValue> data = new TreeMap<>(KeyOrder.COMPARATOR);
    private final Map<Long, LeaseState> leases = new HashMap<>();
    private final FileChannel lockChannel;
    private final FileLock fileLock;
    private final ScheduledExecutorService leaseReaper;
    private final WatchHub watches;
    private JournalFile journal;
    private long revision;
    private boolean closed;
    private MetadataStoreException failure;

    /** Opens (or creates) the store in {@code dir} with the system clock and default settings. */
    public static EmbeddedMetadataStore open(Path dir) {
        return builder(dir).open();
    }

    public static Builder builder(Path dir) {
        return new Builder(dir);
    }

    /** Settings of an embedded store; every one has a default. */
    public static final class Builder {
        private final Path dir;
        private Clock clock = Clock.systemUTC();
        private Duration leaseCheckInterval = Duration.ofMillis(100);
        private long snapshotThresholdBytes = 16L * 1024 * 1024;
        private int watchHistoryRevisions = 10_000;

        private Builder(Path dir) {
            this.dir = Objects.requireNonNull(dir, "dir");
        }

        /** The clock lease expiry is measured with (inject a fake one in tests). */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** How often the background thread looks for expired leases; default 100 ms. */
        public Builder leaseCheckInterval(Duration interval) {
            if (interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("lease check interval must be positive, not " + interval);
            }
            this.leaseCheckInterval = interval;
            return this;
        }

        /** Journal size that triggers a new snapshot; default 16 MiB. */
        public Builder snapshotThresholdBytes(long bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("snapshot threshold must be positive, not " + bytes);
            }
            this.snapshotThresholdBytes = bytes;
            return this;
        }

        /** How many recent revisions watches can start from; default 10000. */
        public Builder watchHistoryRevisions(int revisions) {
            if (revisions < 1) {
                throw new IllegalArgumentException("watch history must hold at least one revision, not " + revisions);
            }
            this.watchHistoryRevisions = revisions;
            return this;
        }

        /**
         * Opens the store, recovering what the directory holds.
         *
         * @throws MetadataStoreException (FAILED) when the directory cannot be used: in use by
         *     another store, unreadable, or holding a damaged snapshot
         */
        public EmbeddedMetadataStore open() {
            return new EmbeddedMetadataStore(this);
        }
    }

    private EmbeddedMetadataStore(Builder b) {
        this.dir = b.dir.toAbsolutePath();
        this.clock = b.clock;
        this.snapshotThresholdBytes = b.snapshotThresholdBytes;
        FileChannel channel = null;
        try {
            Files.createDirectories(dir);
            channel = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock held;
            try {
                held = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                held = null;
            }
            if (held == null) {
                throw new MetadataStoreException(MetadataStoreException.Reason.FAILED, "metadata directory " + dir
                        + " is in use by another open store (strata.metadata.dir); stop the other process or choose another directory");
            }
            this.lockChannel = channel;
            this.fileLock = held;
            recover();
        } catch (IOException e) {
            closeQuietly(channel);
            throw new MetadataStoreException(MetadataStoreException.Reason.FAILED,
                    "cannot open the metadata store in " + dir + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
        this.watches = new WatchHub("strata-metadata-watch", revision, b.watchHistoryRevisions);
        this.leaseReaper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "strata-metadata-leases");
            t.setDaemon(true);
            return t;
        });
        long period = b.leaseCheckInterval.toMillis() > 0 ? b.leaseCheckInterval.toMillis() : 1;
        leaseReaper.scheduleWithFixedDelay(this::reapInBackground, period, period, TimeUnit.MILLISECONDS);
    }

    private void recover() throws IOException {
        Optional<SnapshotFile.Contents> snapshot = SnapshotFile.read(dir);
        revision = snapshot.map(SnapshotFile.Contents::revision).orElse(INITIAL_REVISION);
        snapshot.ifPresent(s -> s.kvs().forEach(kv -> data.put(kv.key(), kv)));
        long snapshotRevision = revision;
        JournalFile.Replay replay;
        try {
            replay = JournalFile.replay(dir, entry -> {
                if (entry.revision() <= revision) {
                    return;
                }
                if (entry.revision() != revision + 1) {
                    throw new IllegalStateException("journal jumps from revision " + revision + " to " + entry.revision());
                }
                apply(entry, null);
            });
        } catch (IllegalStateException e) {
            throw new IOException(dir.resolve(JournalFile.NAME) + " is damaged: " + e.getMessage(), e);
        }
        if (replay.droppedBytes() > 0) {
            LOG.warnf("metadata journal %s: dropped a torn or damaged tail of %d bytes after offset %d (an unacknowledged"
                    + " transaction cut by a crash)", dir.resolve(JournalFile.NAME), replay.droppedBytes(), replay.validBytes());
        }
        List<Op> leaseBound = new ArrayList<>();
        for (KeyValue kv : data.values()) {
            if (kv.leaseId() != 0) {
                leaseBound.add(new Op.Delete(kv.key()));
            }
        }
        if (!leaseBound.isEmpty()) {
            apply(new JournalEntry(revision + 1, leaseBound), null);
        }
        LOG.infof("metadata store %s opened at revision %d (snapshot %d, %d journal entries replayed, %d lease-bound keys dropped)",
                dir, revision, snapshotRevision, replay.entries(), leaseBound.size());
        SnapshotFile.write(dir, revision, data.values());
        journal = JournalFile.create(dir);
    }

    /** The directory this store keeps its files in. */
    public Path directory() {
        return dir;
    }

    @Override
    public Optional<KeyValue> get(String key) {
        KeyOrder.checkKey(key);
        synchronized (lock) {
            checkUsable();
            reapExpiredLeases();
            return Optional.ofNullable(data.get(key));
        }
    }

    @Override
    public KeyRange getPrefix(String prefix) {
        return getPrefixes(List.of(prefix));
    }

    @Override
    public KeyRange getPrefixes(Collection<String> prefixes) {
        TxnRules.checkPrefixes(prefixes);
        synchronized (lock) {
            checkUsable();
            reapExpiredLeases();
            TreeMap<String, KeyValue> result = new TreeMap<>(KeyOrder.COMPARATOR);
            for (String prefix : new LinkedHashSet<>(prefixes)) {
                for (Map.Entry<String, KeyValue> e : data.tailMap(prefix, true).entrySet()) {
                    if (!e.getKey().startsWith(prefix)) {
                        break;
                    }
                    result.put(e.getKey(), e.getValue());
                }
            }
            return new KeyRange(new ArrayList<>(result.values()), revision);
        }
    }

    @Override
    public TxnResult txn(List<Compare> compares, List<Op> ops) {
        TxnRules.checkTxn(compares, ops);
        synchronized (lock) {
            checkUsable();
            reapExpiredLeases();
            for (Compare c : compares) {
                if (!holds(c)) {
                    return new TxnResult(false, revision);
                }
            }
            for (Op op : ops) {
                if (op instanceof Op.Put put && put.leaseId() != 0 && !leases.containsKey(put.leaseId())) {
                    throw new MetadataStoreException(MetadataStoreException.Reason.LEASE_NOT_FOUND,
                            "lease " + put.leaseId() + " does not exist (expired or revoked); key " + put.key() + " not written");
                }
            }
            List<Op> changes = resolve(ops);
            if (changes.isEmpty()) {
                return new TxnResult(true, revision);
            }
            commit(changes);
            return new TxnResult(true, revision);
        }
    }

    @Override
    public long currentRevision() {
        synchronized (lock) {
            checkUsable();
            reapExpiredLeases();
            return revision;
        }
    }

    /** {@link #currentRevision()}: answered from memory, so the timeout never applies. */
    @Override
    public long probe(Duration timeout) {
        return currentRevision();
    }

    @Override
    public Lease grantLease(Duration ttl) {
        Objects.requireNonNull(ttl, "ttl");
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("lease TTL must be positive, not " + ttl);
        }
        long ttlMillis = Math.max(1, ttl.plusNanos(999_999).toMillis());
        synchronized (lock) {
            checkUsable();
            reapExpiredLeases();
            long id;
            do {
                id = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
            } while (leases.containsKey(id));
            leases.put(id, new LeaseState(id, ttlMillis, clock.millis() + ttlMillis));
            return new Lease(id, Duration.ofMillis(ttlMillis));
        }
    }

    @Override
    public boolean keepAlive(long leaseId) {
        synchronized (lock) {
            checkUsable();
            reapExpiredLeases();
            LeaseState lease = leases.get(leaseId);
            if (lease == null) {
                return false;
            }
            lease.expiresAtMillis = clock.millis() + lease.ttlMillis;
            return true;
        }
    }

    @Override
    public boolean revokeLease(long leaseId) {
        synchronized (lock) {
            checkUsable();
            reapExpiredLeases();
            LeaseState lease = leases.get(leaseId);
            if (lease == null) {
                return false;
            }
            endLease(lease);
            return true;
        }
    }

    @Override
    public Watch watchPrefix(String prefix, long fromRevision, WatchListener listener) {
        KeyOrder.checkPrefix(prefix);
        Objects.requireNonNull(listener, "listener");
        synchronized (lock) {
            checkUsable();
            return watches.register(prefix, fromRevision, listener, revision);
        }
    }

    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            leaseReaper.shutdownNow();
            try {
                journal.close();
            } catch (IOException e) {
                LOG.warnf("closing metadata journal in %s: %s", dir, e.getMessage());
            }
            try {
                fileLock.release();
            } catch (IOException e) {
                LOG.debugf("releasing %s: %s", dir.resolve(LOCK_FILE), e.getMessage());
            }
            closeQuietly(lockChannel);
        }
        watches.close(new MetadataStoreException(MetadataStoreException.Reason.CLOSED, "the metadata store was closed"));
    }

    // ---- internals; every method below runs under the lock ----

    private void checkUsable() {
        if (closed) {
            throw new MetadataStoreException(MetadataStoreException.Reason.CLOSED, "the metadata store in " + dir + " is closed");
        }
        if (failure != null) {
            throw new MetadataStoreException(MetadataStoreException.Reason.FAILED, failure.getMessage(), failure);
        }
    }

    private boolean holds(Compare c) {
        KeyValue kv = data.get(c.key());
        return switch (c) {
            case Compare.ModRevision m -> (kv == null ? 0 : kv.modRevision()) == m.revision();
            case Compare.CreateRevision cr -> (kv == null ? 0 : kv.createRevision()) == cr.revision();
            case Compare.ValueEquals v -> kv != null && kv.valueEquals(v.value());
        };
    }

    /** The concrete changes of {@code ops}: puts as they are, deletes of keys that exist. */
    private List<Op> resolve(List<Op> ops) {
        List<Op> changes = new ArrayList<>();
        Set<String> deleted = new HashSet<>();
        for (Op op : ops) {
            switch (op) {
                case Op.Put put -> changes.add(put);
                case Op.Delete delete -> {
                    if (data.containsKey(delete.key()) && deleted.add(delete.key())) {
                        changes.add(delete);
                    }
                }
                case Op.DeletePrefix dp -> {
                    for (String key : data.tailMap(dp.prefix(), true).keySet()) {
                        if (!key.startsWith(dp.prefix())) {
                            break;
                        }
                        if (deleted.add(key)) {
                            changes.add(new Op.Delete(key));
                        }
                    }
                }
            }
        }
        return changes;
    }

    /** Makes {@code changes} durable at the next revision, applies them and tells the watches. */
    private void commit(List<Op> changes) {
        JournalEntry entry = new JournalEntry(revision + 1, changes);
        try {
            journal.append(entry);
        } catch (IOException e) {
            throw fail("writing the metadata journal in " + dir + " failed", e);
        }
        List<WatchEvent> events = new ArrayList<>(changes.size());
        apply(entry, events);
        watches.publish(events);
        if (journal.size() > snapshotThresholdBytes) {
            try {
                SnapshotFile.write(dir, revision, data.values());
                journal.close();
                journal = JournalFile.create(dir);
            } catch (IOException e) {
                throw fail("writing a metadata snapshot in " + dir + " failed", e);
            }
        }
    }

    /** Applies a committed entry to memory (and, when {@code events} is given, collects its watch events). */
    private void apply(JournalEntry entry, List<WatchEvent> events) {
        long rev = entry.revision();
        for (Op change : entry.changes()) {
            switch (change) {
                case Op.Put put -> {
                    KeyValue old = data.get(put.key());
                    detach(old);
                    KeyValue kv = new KeyValue(put.key(), put.value(), old == null ? rev : old.createRevision(), rev,
                            old == null ? 1 : old.version() + 1, put.leaseId());
                    data.put(kv.key(), kv);
                    LeaseState lease = leases.get(put.leaseId());
                    if (lease != null) {
                        lease.keys.add(kv.key());
                    }
                    if (events != null) {
                        events.add(WatchEvent.put(kv));
                    }
                }
                case Op.Delete delete -> {
                    detach(data.remove(delete.key()));
                    if (events != null) {
                        events.add(WatchEvent.delete(delete.key(), rev));
                    }
                }
                case Op.DeletePrefix dp -> throw new IllegalStateException("unexpanded delete-prefix");
            }
        }
        revision = rev;
    }

    private void detach(KeyValue old) {
        if (old != null && old.leaseId() != 0) {
            LeaseState lease = leases.get(old.leaseId());
            if (lease != null) {
                lease.keys.remove(old.key());
            }
        }
    }

    private void endLease(LeaseState lease) {
        leases.remove(lease.id);
        if (!lease.keys.isEmpty()) {
            List<Op> deletes = new ArrayList<>();
            for (String key : new TreeSet<>(lease.keys)) {
                deletes.add(new Op.Delete(key));
            }
            commit(deletes);
        }
    }

    private void reapExpiredLeases() {
        if (leases.isEmpty()) {
            return;
        }
        long now = clock.millis();
        List<LeaseState> expired = new ArrayList<>();
        for (LeaseState lease : leases.values()) {
            if (lease.expiresAtMillis <= now) {
                expired.add(lease);
            }
        }
        expired.sort((a, b) -> a.expiresAtMillis != b.expiresAtMillis
                ? Long.compare(a.expiresAtMillis, b.expiresAtMillis) : Long.compare(a.id, b.id));
        for (LeaseState lease : expired) {
            LOG.debugf("lease %d expired (ttl %d ms); deleting %d keys", lease.id, lease.ttlMillis, lease.keys.size());
            endLease(lease);
        }
    }

    private void reapInBackground() {
        try {
            synchronized (lock) {
                if (closed || failure != null) {
                    return;
                }
                reapExpiredLeases();
            }
        } catch (RuntimeException e) {
            LOG.errorf(e, "expiring leases in the metadata store %s failed", dir);
        }
    }

    private MetadataStoreException fail(String what, IOException cause) {
        failure = new MetadataStoreException(MetadataStoreException.Reason.FAILED,
                what + ": " + cause.getMessage() + "; the store refuses further work, restart the process to recover from disk", cause);
        LOG.error(failure.getMessage(), cause);
        return failure;
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // Nothing more to release.
            }
        }
    }

    private static final class LeaseState {
        final long id;
        final long ttlMillis;
        final Set<String> keys = new HashSet<>();
        long expiresAtMillis;

        LeaseState(long id, long ttlMillis, long expiresAtMillis) {
            this.id = id;
            this.ttlMillis = ttlMillis;
            this.expiresAtMillis = expiresAtMillis;
        }
    }

    @Override
    public String toString() {
        return "EmbeddedMetadataStore[" + dir + "]";
    }
}
