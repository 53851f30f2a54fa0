package io.strata.standalone;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Command-line options of {@code strata standalone}, turned into the configuration keys the
 * roles read. Anything else on the command line is passed through to Quarkus.
 *
 * <pre>
 *   --data-dir DIR    where logs and metadata live (default ./strata-data)
 *   --port PORT       the gRPC port clients bootstrap from (default 9092)
 *   --host HOST       the address to bind (default 127.0.0.1; 0.0.0.0 for every interface)
 *   --http-port PORT  health and metrics (/q/health); default PORT + 1
 * </pre>
 */
record StandaloneOptions(Path dataDir, String host, int port, int httpPort) {

    static final String USAGE = "usage: strata standalone [--data-dir DIR] [--port PORT] [--host HOST] [--http-port PORT]";

    static StandaloneOptions parse(String... args) {
        Path dataDir = Path.of("strata-data");
        String host = "127.0.0.1";
        int port = 9092;
        Integer httpPort = null;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String value = arg.contains("=") ? arg.substring(arg.indexOf('=') + 1) : null;
            String name = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
            if (!name.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + arg + "'\n" + USAGE);
            }
            if (name.equals("--help") || name.equals("-h")) {
                throw new IllegalArgumentException(USAGE);
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(name + " needs a value\n" + USAGE);
                }
                value = args[++i];
            }
            switch (name) {
                case "--data-dir" -> dataDir = Path.of(value);
                case "--host" -> host = value;
                case "--port" -> port = port(name, value);
                case "--http-port" -> httpPort = port(name, value);
                default -> throw new IllegalArgumentException("unknown option " + name + "\n" + USAGE);
            }
        }
        return new StandaloneOptions(dataDir.toAbsolutePath().normalize(), host, port,
                httpPort != null ? httpPort : (port == 0 ? 0 : port + 1));
    }

    private static int port(String name, String value) {
        try {
            int p = Integer.parseInt(value);
            if (p < 0 || p > 65535) {
                throw new IllegalArgumentException(name + " " + value + " is outside 0..65535");
            }
            return p;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " needs a number, got '" + value + "'");
        }
    }

    /** The configuration the roles read; explicit system properties win over these. */
    Map<String, String> toConfig() {
        Map<String, String> config = new HashMap<>();
        config.put("strata.data.dir", dataDir.toString());
        config.put("strata.log.dirs", dataDir.resolve("logs").toString());
        config.put("strata.metadata.dir", dataDir.resolve("metadata").toString());
        config.put("strata.listeners", host + ":" + port);
        config.put("quarkus.http.host", host);
        config.put("quarkus.http.port", Integer.toString(httpPort));
        return config;
    }
}
