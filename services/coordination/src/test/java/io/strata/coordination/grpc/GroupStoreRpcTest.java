package io.strata.coordination.grpc;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** The consumer-group store RPCs on the embedded metadata store (standalone's). */
@Timeout(60)
class GroupStoreRpcTest extends GroupStoreRpcContract {

    @TempDir
    Path dir;

    @Override
    CoordinationTestServer startCoordination() throws Exception {
        return new CoordinationTestServer(dir);
    }
}
