package io.strata.storage;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.strata.runtime.GrpcServer;
import io.strata.runtime.HostPort;
import io.strata.runtime.quota.Quotas;
import io.strata.storage.config.StorageConfig;
import io.strata.storage.log.LogConfig;
import io.strata.storage.log.LogManager;
import io.strata.storage.node.ControllerClient;
import io.strata.storage.node.CoordinationLink;
import io.strata.storage.node.NodeIdentity;
import io.strata.storage.partition.HostedPartition;
import io.strata.storage.partition.PartitionRegistry;
import io.strata.storage.replica.ReplicaFetchers;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A storage node's life: on start it recovers its logs (reading only past each recovery
 * point), then registers with coordination and follows its assignment watch; it counts as
 * ready once it is registered and has applied its first assignment snapshot. It enforces the
 * client-id quotas coordination streams to it (on top of its {@code quota.*.default} config). It
 * leads some partitions and follows others (docs/REPLICATION.md): followers fetch from their
 * leaders ({@link ReplicaFetchers}); leaders ask the active replication controller for ISR changes.
 * On shutdown it leaves coordination and closes its logs cleanly (flushed, checkpointed).
 */
@Singleton
public class StorageNode {

    private static final Logger LOG = Logger.getLogger(StorageNode.class);

    private final StorageConfig config;
    private final GrpcServer grpcServer;
    private final ScheduledExecutorService scheduler;
    private final ExecutorService fetchExecutor;
    private final Quotas quotas;
    private volatile LogManager logManager;
    private volatile PartitionRegistry partitions;
    private volatile CoordinationLink link;
    private volatile ReplicaFetchers fetchers;
    private volatile Supplier<CoordinationLink> linkFactory;
    private final AtomicBoolean uncleanUntilCaughtUp = new AtomicBoolean();
    static final long CUT_FILE_POLL_MS = 200;
    private final ControllerClient controller = new ControllerClient();

    public StorageNode(StorageConfig config, GrpcServer grpcServer) {
        this.config = config;
        this.grpcServer = grpcServer;
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, daemon("strata-storage-timer"));
        timer.setRemoveOnCancelPolicy(true); // a held call its client gave up on leaves nothing queued
        this.scheduler = timer;
        this.fetchExecutor = Executors.newFixedThreadPool(4, daemon("strata-fetch"));
        this.quotas = new Quotas(config.quotaDefaults(), Clock.systemUTC(), scheduler, grpcServer::execute);
    }

    void onStart(@Observes @Priority(GrpcServer.STARTUP_PRIORITY + 10) StartupEvent event) {
        start();
    }

    /**
     * Leaves coordination first, while this process's gRPC server (standalone) still runs, and
     * answers the calls held by a quota ({@link Quotas#close}) instead of letting the server cut them.
     */
    void leaveCoordination(@Observes @Priority(GrpcServer.SHUTDOWN_PRIORITY - 10) ShutdownEvent event) {
        CoordinationLink l = link;
        if (l != null) {
            l.close();
        }
        quotas.close();
    }

    /** Closes the logs cleanly once no call can reach them. */
    void onStop(@Observes @Priority(GrpcServer.SHUTDOWN_PRIORITY + 10) ShutdownEvent event) {
        stop();
    }

    public synchronized void start() {
        if (logManager != null) {
            return;
        }
        long began = System.nanoTime();
        NodeIdentity identity = NodeIdentity.loadOrCreate(config.nodeId(), config.logDirs());
        LogManager logs = new LogManager(config.logDirs(), Clock.systemUTC(), LogConfig.defaults(),
                config.producerIdExpirationMs());
        logs.startup();
        logManager = logs;
        PartitionRegistry registry = new PartitionRegistry(logs, config.nodeId(), Clock.systemUTC(), scheduler, controller);
        partitions = registry;
        ReplicaFetchers replicaFetchers = new ReplicaFetchers(config.nodeId(), scheduler, config.replicaFetchMaxWaitMs(),
                config.replicaFetchMaxBytes());
        fetchers = replicaFetchers;
        boolean unclean = logs.recoveredFromUncleanShutdown();
        uncleanUntilCaughtUp.set(unclean);
        LOG.infof("node %d recovered %d partition logs in %s in %d ms%s", config.nodeId(), logs.allLogs().size(),
                config.logDirs(), (System.nanoTime() - began) / 1_000_000,
                unclean ? " after an unclean shutdown (records not yet fsynced may be gone: see docs/REPLICATION.md)" : "");
        linkFactory = () -> new CoordinationLink(coordinationEndpoints(), scheduler, identity, grpcServer.advertised(),
                config.rack(), config.sessionTimeoutMs(), uncleanUntilCaughtUp::get, snapshot -> {
                    registry.apply(snapshot);
                    replicaFetchers.apply(registry.all(), snapshot.getNodesList());
                }, quotas::apply, controller::onLeadership);
        link = linkFactory.get();
        link.start();
        if (unclean) {
            scheduler.scheduleWithFixedDelay(() -> clearUncleanOnceCaughtUp(registry), 1, 1, TimeUnit.SECONDS);
        }
        config.testingCutCoordinationFile().ifPresent(file -> scheduler.scheduleWithFixedDelay(() -> cutCoordinationWhile(file),
                CUT_FILE_POLL_MS, CUT_FILE_POLL_MS, TimeUnit.MILLISECONDS));
        long lagMax = config.replicaLagTimeMaxMs();
        scheduler.scheduleAtFixedRate(() -> registry.all().forEach(p -> p.maybeShrinkIsr(lagMax)),
                lagMax / 2, lagMax / 2, TimeUnit.MILLISECONDS);
    }

    /**
     * After an unclean shutdown this node may miss records it had acknowledged (KIP-966), so it
     * registers as such and the controller prefers complete replicas over it. Once every
     * partition it hosts has caught up with its leader (or is led by it), it holds every committed
     * record again and says so in its keep-alives.
     */
    private void clearUncleanOnceCaughtUp(PartitionRegistry registry) {
        if (uncleanUntilCaughtUp.get() && registry.appliedRevision() >= 0
                && registry.all().stream().allMatch(HostedPartition::caughtUpSinceStart)) {
            uncleanUntilCaughtUp.set(false);
            LOG.infof("node %d has caught up every partition it hosts since its unclean shutdown (%d partitions)",
                    config.nodeId(), registry.size());
        }
    }

    private List<HostPort> coordinationEndpoints() {
        return config.coordinationEndpoints().orElseGet(() -> List.of(new HostPort("127.0.0.1", grpcServer.port())));
    }

    /**
     * Test hook (strata.testing.cut-coordination-file): while the file exists this node has no
     * contact with coordination at all — no keep-alives, no watches — as if a network partition
     * separated them, yet it goes on serving clients and peers with the state it last knew.
     */
    private synchronized void cutCoordinationWhile(Path file) {
        boolean cut = Files.exists(file);
        if (cut && link != null) {
            LOG.warnf("testing: node %d cuts itself off from coordination while %s exists", config.nodeId(), file);
            link.close();
            link = null;
        } else if (!cut && link == null && linkFactory != null) {
            LOG.warnf("testing: node %d talks to coordination again (%s is gone)", config.nodeId(), file);
            link = linkFactory.get();
            link.start();
        }
    }

    public synchronized void stop() {
        if (link != null) {
            link.close();
        }
        if (fetchers != null) {
            fetchers.close();
        }
        controller.close();
        if (logManager != null) {
            logManager.close();
        }
        quotas.close();
        scheduler.shutdownNow();
        fetchExecutor.shutdownNow();
    }

    /** Registered with coordination and serving the partitions of at least one snapshot. */
    public boolean isReady() {
        CoordinationLink l = link;
        PartitionRegistry p = partitions;
        return l != null && l.registered() && p != null && p.appliedRevision() >= 0;
    }

    public int nodeId() {
        return config.nodeId();
    }

    public PartitionRegistry partitions() {
        PartitionRegistry p = partitions;
        if (p == null) {
            throw io.strata.proto.StrataError.exception(io.strata.proto.v1.ErrorCode.STORAGE_ERROR,
                    "node " + config.nodeId() + " is still recovering its logs; retry shortly");
        }
        return p;
    }

    /** The hosted partitions, empty while the node recovers its logs; never throws (metrics read it). */
    public java.util.Optional<PartitionRegistry> partitionsIfRecovered() {
        return java.util.Optional.ofNullable(partitions);
    }

    public LogManager logManager() {
        return logManager;
    }

    /** The client-id quotas this node enforces. */
    public Quotas quotas() {
        return quotas;
    }

    /**
     * Runs work on the gRPC server's call executor (a produce stream's partitions run there side
     * by side); it throws {@link java.util.concurrent.RejectedExecutionException} when the server
     * is not running.
     */
    public java.util.concurrent.Executor callExecutor() {
        return grpcServer::execute;
    }

    public ScheduledExecutorService scheduler() {
        return scheduler;
    }

    public ExecutorService fetchExecutor() {
        return fetchExecutor;
    }

    private static java.util.concurrent.ThreadFactory daemon(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
