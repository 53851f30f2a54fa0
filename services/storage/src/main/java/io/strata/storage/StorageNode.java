package io.strata.storage;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.strata.runtime.GrpcServer;
import io.strata.runtime.HostPort;
import io.strata.runtime.quota.Quotas;
import io.strata.storage.config.StorageConfig;
import io.strata.storage.log.LogConfig;
import io.strata.storage.log.LogManager;
import io.strata.storage.node.CoordinationLink;
import io.strata.storage.node.NodeIdentity;
import io.strata.storage.partition.PartitionRegistry;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A storage node's life: on start it recovers its logs (reading only past each recovery
 * point), then registers with coordination and follows its assignment watch; it counts as
 * ready once it is registered and has applied its first assignment snapshot. It enforces the
 * client-id quotas coordination streams to it (on top of its {@code quota.*.default} config).
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
        partitions = new PartitionRegistry(logs);
        LOG.infof("node %d recovered %d partition logs in %s in %d ms", config.nodeId(), logs.allLogs().size(),
                config.logDirs(), (System.nanoTime() - began) / 1_000_000);
        HostPort advertised = grpcServer.advertised();
        List<HostPort> coordination = config.coordinationEndpoints()
                .orElseGet(() -> List.of(new HostPort("127.0.0.1", grpcServer.port())));
        link = new CoordinationLink(coordination, scheduler, identity, advertised, config.rack(), config.sessionTimeoutMs(),
                partitions::apply, quotas::apply);
        link.start();
    }

    public synchronized void stop() {
        if (link != null) {
            link.close();
        }
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

    public LogManager logManager() {
        return logManager;
    }

    /** The client-id quotas this node enforces. */
    public Quotas quotas() {
        return quotas;
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
