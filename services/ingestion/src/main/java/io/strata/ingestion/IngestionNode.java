package io.strata.ingestion;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.strata.client.internal.Address;
import io.strata.ingestion.config.IngestionConfig;
import io.strata.ingestion.publish.Publisher;
import io.strata.ingestion.spool.Spool;
import io.strata.proto.StrataError;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.NodeRole;
import io.strata.proto.v1.RegisterNode;
import io.strata.runtime.GrpcServer;
import io.strata.runtime.HostPort;
import io.strata.runtime.coordination.CoordinationChannels;
import io.strata.runtime.coordination.CoordinationSession;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.stream.Collectors;

/**
 * An ingestion instance's life: once the gRPC server listens it registers with coordination
 * (role INGESTION, so clients find it through GetMetadata's {@code ingestion_endpoints}) and
 * forwards through its {@link Publisher}; it is ready while registered. Spooled publishes
 * ({@code ack=spooled}) go to its {@link Spool}, opened (and recovered) at start; a spool that
 * cannot open leaves the instance serving committed publishes and refusing spooled ones. On
 * shutdown it first sends what it buffered (the leaders and coordination are still reachable),
 * closes the spool (what it has not forwarded stays on disk), then leaves coordination.
 */
@Singleton
public class IngestionNode {

    private static final Logger LOG = Logger.getLogger(IngestionNode.class);

    private final IngestionConfig config;
    private final GrpcServer grpcServer;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "strata-ingestion-timer");
        t.setDaemon(true);
        return t;
    });
    private volatile Publisher publisher;
    private volatile Spool spool;
    private volatile String spoolFailure = "it is starting";
    private volatile boolean stopping;
    private volatile CoordinationChannels channels;
    private volatile CoordinationSession session;

    public IngestionNode(IngestionConfig config, GrpcServer grpcServer) {
        this.config = config;
        this.grpcServer = grpcServer;
    }

    void onStart(@Observes @Priority(GrpcServer.STARTUP_PRIORITY + 20) StartupEvent event) {
        start();
    }

    /** Sends what is buffered while the leaders (in standalone: this very process) still serve. */
    void onShutdown(@Observes @Priority(GrpcServer.SHUTDOWN_PRIORITY - 20) ShutdownEvent event) {
        stop();
    }

    public synchronized void start() {
        if (publisher != null) {
            return;
        }
        List<HostPort> coordination = config.coordinationEndpoints()
                .orElseGet(() -> List.of(new HostPort("127.0.0.1", grpcServer.port())));
        String bootstrap = coordination.stream().map(HostPort::toString).collect(Collectors.joining(","));
        publisher = new Publisher(bootstrap, config);
        openSpool(coordination.stream().map(h -> new Address(h.host(), h.port())).toList());
        HostPort advertised = grpcServer.advertised();
        channels = new CoordinationChannels(coordination);
        session = new CoordinationSession(channels, scheduler, RegisterNode.newBuilder()
                .setRole(NodeRole.INGESTION)
                .setInstanceId(config.instanceId())
                .setHost(advertised.host())
                .setPort(advertised.port())
                .setSessionTimeoutMs(config.sessionTimeoutMs())
                .setReady(true)
                .build(), "ingestion " + config.instanceId());
        session.start();
        LOG.infof("ingestion %s on %s forwards to the cluster at %s", config.instanceId(), advertised, bootstrap);
    }

    private void openSpool(List<Address> bootstrap) {
        try {
            spool = Spool.open(config, bootstrap);
        } catch (IOException | RuntimeException e) {
            spoolFailure = "its spool in " + config.spoolDir() + " cannot be opened: " + e.getMessage();
            LOG.errorf(e, "ingestion %s: the spool in %s cannot be opened; spooled publishes are refused (committed ones are"
                    + " served)", config.instanceId(), config.spoolDir());
        }
    }

    public synchronized void stop() {
        if (publisher != null) {
            publisher.close();
        }
        stopping = true;
        if (spool != null) {
            Spool s = spool;
            spool = null;
            s.close();
        }
        if (session != null) {
            session.close();
        }
        if (channels != null) {
            channels.close();
        }
        scheduler.shutdownNow();
    }

    /** Registered with coordination: clients can find this instance. */
    public boolean isReady() {
        CoordinationSession s = session;
        return s != null && s.registered();
    }

    /** The publisher; UNAVAILABLE before start. */
    public Publisher publisher() {
        Publisher p = publisher;
        if (p == null) {
            throw io.grpc.Status.UNAVAILABLE.withDescription("ingestion " + config.instanceId() + " is starting; retry shortly")
                    .asRuntimeException();
        }
        return p;
    }

    /**
     * The store-and-forward spool.
     *
     * @throws io.grpc.StatusRuntimeException STORAGE_ERROR while there is none (starting, failed to open),
     *                                        UNAVAILABLE once stopped
     */
    public Spool spool() {
        Spool s = spool;
        if (s == null && stopping) {
            throw io.grpc.Status.UNAVAILABLE.withDescription("ingestion " + config.instanceId()
                    + " is shutting down; retry on another instance").asRuntimeException();
        }
        if (s == null) {
            throw StrataError.exception(ErrorCode.STORAGE_ERROR, "ingestion " + config.instanceId()
                    + " cannot spool records: " + spoolFailure + "; retry, use ack=committed, or another instance");
        }
        return s;
    }

    /** The spool's figures, when it is open. */
    public Optional<Spool.Stats> spoolStats() {
        return Optional.ofNullable(spool).map(Spool::stats);
    }

    public String instanceId() {
        return config.instanceId();
    }
}
