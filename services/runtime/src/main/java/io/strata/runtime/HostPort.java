package io.strata.runtime;

/** A {@code host:port} pair, as in {@code listeners} and bootstrap addresses. */
public record HostPort(String host, int port) {

    public HostPort {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("host must not be empty");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is outside 0..65535");
        }
    }

    /**
     * Parses {@code host:port}, accepting an optional scheme prefix such as {@code PLAINTEXT://}
     * so Kafka-style listener strings work.
     *
     * @throws IllegalArgumentException with a message naming the bad value
     */
    public static HostPort parse(String value) {
        String v = value.trim();
        int scheme = v.indexOf("://");
        if (scheme >= 0) {
            v = v.substring(scheme + 3);
        }
        int colon = v.lastIndexOf(':');
        if (colon <= 0 || colon == v.length() - 1) {
            throw new IllegalArgumentException("'" + value + "' is not host:port");
        }
        try {
            return new HostPort(v.substring(0, colon), Integer.parseInt(v.substring(colon + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + value + "' has a non-numeric port");
        }
    }

    /** Parses a comma-separated list of {@code host:port} (blank entries skipped), e.g. {@code strata.coordination.endpoints}. */
    public static java.util.List<HostPort> parseList(String value) {
        return java.util.Arrays.stream(value.split(",")).map(String::trim).filter(v -> !v.isEmpty()).map(HostPort::parse).toList();
    }

    @Override
    public String toString() {
        return host + ":" + port;
    }
}
