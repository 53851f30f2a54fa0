package io.strata.client;

/**
 * A live storage node as clients reach it.
 *
 * @param id   the node id ({@code node.id})
 * @param host the host name or address clients connect to
 * @param port the gRPC port
 * @param rack the rack (failure domain), empty when not set
 */
public record NodeInfo(int id, String host, int port, String rack) {

    /** {@code host:port}. */
    public String address() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
