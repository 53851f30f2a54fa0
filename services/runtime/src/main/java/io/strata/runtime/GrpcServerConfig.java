package io.strata.runtime;

import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * The gRPC listener settings every role shares. Keys (settable as system properties,
 * environment variables such as {@code STRATA_LISTENERS}, or application.properties):
 * <ul>
 *   <li>{@code strata.listeners} — {@code host:port} the gRPC server binds (default
 *       {@code 0.0.0.0:9092}; port 0 picks a free port)</li>
 *   <li>{@code strata.advertised.listeners} — {@code host:port} other processes and clients
 *       use to reach this one (default: the listener, with a wildcard host replaced by this
 *       machine's name)</li>
 *   <li>{@code strata.grpc.max.message.bytes} — largest inbound gRPC message (default 64 MiB);
 *       must exceed the largest produce request</li>
 *   <li>{@code strata.grpc.executor.threads} — threads running calls (default 32); calls may
 *       block briefly on disk, never on waiting for data (long polls are asynchronous)</li>
 * </ul>
 */
@Singleton
public class GrpcServerConfig {

    public static final int DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

    private final HostPort listener;
    private final String advertisedHost;
    private final Integer advertisedPort;
    private final int maxMessageBytes;
    private final int executorThreads;

    public GrpcServerConfig() {
        this(ConfigProvider.getConfig());
    }

    GrpcServerConfig(Config config) {
        this.listener = HostPort.parse(config.getOptionalValue("strata.listeners", String.class).orElse("0.0.0.0:9092"));
        String advertised = config.getOptionalValue("strata.advertised.listeners", String.class).orElse("");
        if (advertised.isBlank()) {
            this.advertisedHost = wildcard(listener.host()) ? localHostName() : listener.host();
            this.advertisedPort = null;
        } else {
            HostPort a = HostPort.parse(advertised);
            this.advertisedHost = a.host();
            this.advertisedPort = a.port();
        }
        this.maxMessageBytes = config.getOptionalValue("strata.grpc.max.message.bytes", Integer.class).orElse(DEFAULT_MAX_MESSAGE_BYTES);
        this.executorThreads = config.getOptionalValue("strata.grpc.executor.threads", Integer.class).orElse(32);
        if (maxMessageBytes < 1024 * 1024) {
            throw new IllegalArgumentException("strata.grpc.max.message.bytes=" + maxMessageBytes + " must be at least 1048576");
        }
        if (executorThreads < 1) {
            throw new IllegalArgumentException("strata.grpc.executor.threads=" + executorThreads + " must be at least 1");
        }
    }

    public HostPort listener() {
        return listener;
    }

    /** Where others reach this process; {@code boundPort} fills in the port when the listener asked for 0. */
    public HostPort advertised(int boundPort) {
        return new HostPort(advertisedHost, advertisedPort != null ? advertisedPort : boundPort);
    }

    public int maxMessageBytes() {
        return maxMessageBytes;
    }

    public int executorThreads() {
        return executorThreads;
    }

    private static boolean wildcard(String host) {
        return host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]");
    }

    private static String localHostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "127.0.0.1";
        }
    }
}
