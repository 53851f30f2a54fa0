package io.strata.runtime;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The process's gRPC server: a plain grpc-java Netty server (STACK.md measured it several times
 * faster than the unified Vert.x server for large messages) serving every CDI bean of type
 * {@link BindableService}. In standalone, one server carries every role's services.
 *
 * <p>Starts on Quarkus start-up before the roles' own start-up observers (which may connect
 * to it, as storage connects to coordination in standalone) and stops last on shutdown.
 */
@Singleton
public class GrpcServer {

    /** Start-up observers with a larger priority run after the server is listening. */
    public static final int STARTUP_PRIORITY = 100;
    /** Shutdown observers with a larger priority run after the server stopped taking calls. */
    public static final int SHUTDOWN_PRIORITY = 50;

    private static final Logger LOG = Logger.getLogger(GrpcServer.class);

    private final GrpcServerConfig config;
    private final Instance<BindableService> services;
    private volatile Server server;
    private volatile ExecutorService executor;

    public GrpcServer(GrpcServerConfig config, @Any Instance<BindableService> services) {
        this.config = config;
        this.services = services;
    }

    void onStart(@Observes @Priority(STARTUP_PRIORITY) StartupEvent event) {
        start();
    }

    /**
     * Stops taking calls before the roles close their state (storage closes its logs at a
     * larger priority), so no request meets a closed log.
     */
    void onStop(@Observes @Priority(SHUTDOWN_PRIORITY) ShutdownEvent event) {
        stop();
    }

    public synchronized void start() {
        if (server != null) {
            return;
        }
        AtomicInteger threads = new AtomicInteger();
        executor = Executors.newFixedThreadPool(config.executorThreads(), r -> {
            Thread t = new Thread(r, "strata-grpc-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        HostPort listener = config.listener();
        NettyServerBuilder builder = NettyServerBuilder
                .forAddress(new InetSocketAddress(listener.host(), listener.port()))
                .executor(executor)
                .maxInboundMessageSize(config.maxMessageBytes())
                .flowControlWindow(8 * 1024 * 1024)
                // Clients ping idle-looking connections (the producer every 10 s, grpc-java's
                // minimum, to notice a frozen node); allow that with margin for timer jitter.
                .permitKeepAliveTime(5, TimeUnit.SECONDS)
                .permitKeepAliveWithoutCalls(true);
        List<String> names = new ArrayList<>();
        UnexpectedErrorInterceptor interceptor = new UnexpectedErrorInterceptor();
        for (BindableService service : services) {
            builder.addService(ServerInterceptors.intercept(service, interceptor));
            names.add(service.bindService().getServiceDescriptor().getName());
        }
        try {
            server = builder.build().start();
        } catch (IOException e) {
            executor.shutdownNow();
            throw new UncheckedIOException("cannot listen on " + listener + " (strata.listeners): " + e.getMessage(), e);
        }
        LOG.infof("gRPC server listening on %s:%d, services %s", listener.host(), port(), names);
    }

    /** The port actually bound (useful when the listener asked for port 0). */
    public int port() {
        Server s = server;
        if (s == null) {
            throw new IllegalStateException("gRPC server not started");
        }
        return ((InetSocketAddress) s.getListenSockets().get(0)).getPort();
    }

    public boolean isRunning() {
        Server s = server;
        return s != null && !s.isShutdown();
    }

    /** Where other processes reach this server. */
    public HostPort advertised() {
        return config.advertised(port());
    }

    /**
     * Runs {@code work} on the pool that runs calls, e.g. a call held back by a quota.
     *
     * @throws RejectedExecutionException when the server is not running
     */
    public void execute(Runnable work) {
        ExecutorService e = executor;
        if (e == null) {
            throw new RejectedExecutionException("gRPC server not started");
        }
        e.execute(work);
    }

    public synchronized void stop() {
        Server s = server;
        if (s == null) {
            return;
        }
        s.shutdown();
        try {
            // Unary calls finish within the grace period; long-lived streams (fetch streams,
            // sessions, watches) never end by themselves and are cancelled after it.
            if (!s.awaitTermination(2, TimeUnit.SECONDS)) {
                s.shutdownNow();
            }
        } catch (InterruptedException e) {
            s.shutdownNow();
            Thread.currentThread().interrupt();
        }
        executor.shutdownNow();
        server = null;
    }
}
