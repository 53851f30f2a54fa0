package io.strata.groups.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * Puts the calling client's IP address (the transport's remote address, as grpc-java's Netty
 * server reports it) in the call's {@link Context}, where the Heartbeat handler reads it as the
 * member's client host. Empty when the transport does not tell.
 */
final class ClientAddress implements ServerInterceptor {

    private static final Context.Key<String> HOST = Context.key("strata-groups-client-host");

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        return Contexts.interceptCall(Context.current().withValue(HOST, hostOf(call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR))),
                call, headers, next);
    }

    static String hostOf(SocketAddress address) {
        if (address instanceof InetSocketAddress inet) {
            return inet.getAddress() != null ? inet.getAddress().getHostAddress() : inet.getHostString();
        }
        return "";
    }

    /** The current call's client host, or "" outside a call. */
    static String current() {
        String host = HOST.get();
        return host == null ? "" : host;
    }
}
