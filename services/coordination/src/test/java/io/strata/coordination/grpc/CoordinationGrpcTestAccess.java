package io.strata.coordination.grpc;

import io.strata.proto.v1.CoordinationGrpc;

/** Lets tests in other packages open a registered storage-node session. */
public final class CoordinationGrpcTestAccess {

    private CoordinationGrpcTestAccess() {
    }

    /** A live, ready storage node session for {@code nodeId}; close it to end the session. */
    public static AutoCloseable storageRegistration(CoordinationGrpc.CoordinationStub stub, int nodeId) {
        SessionClient session = new SessionClient(stub);
        session.register(CoordinationTestServer.storage(nodeId, "wiring-" + nodeId).build());
        return session;
    }
}
