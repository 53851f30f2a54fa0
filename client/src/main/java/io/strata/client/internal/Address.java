package io.strata.client.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * A {@code host:port} endpoint. IPv6 literals are written in brackets ({@code [::1]:9092}).
 *
 * @param host the host name or address, without brackets
 * @param port the TCP port
 */
public record Address(String host, int port) {

    public Address {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("host must not be empty");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be in 1..65535, got " + port);
        }
    }

    /** Parses {@code host:port} or {@code [v6]:port}. */
    public static Address parse(String text) {
        String s = text.trim();
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            throw new IllegalArgumentException("expected host:port, got '" + text + "'");
        }
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected host:port, got '" + text + "'");
        }
        return new Address(host, port);
    }

    /** Parses a comma-separated list; blanks are skipped, at least one address is required. */
    public static List<Address> parseList(String csv) {
        List<Address> out = new ArrayList<>();
        for (String part : csv.split(",")) {
            if (!part.isBlank()) {
                out.add(parse(part));
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("expected at least one host:port, got '" + csv + "'");
        }
        return List.copyOf(out);
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
