package io.strata.standalone;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.QuarkusApplication;
import io.quarkus.runtime.annotations.QuarkusMain;
import io.strata.runtime.GrpcServer;
import io.strata.storage.StorageNode;
import jakarta.inject.Inject;

import java.util.Map;

/**
 * Strata standalone: every role that exists, in one process, with the embedded metadata
 * store in the data dir. Prints one line with {@code ready} and the bootstrap address once it
 * serves; Ctrl-C (SIGINT) or SIGTERM stops it cleanly.
 */
@QuarkusMain
public class StandaloneMain {

    public static void main(String... args) {
        StandaloneOptions options;
        try {
            options = StandaloneOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        for (Map.Entry<String, String> e : options.toConfig().entrySet()) {
            if (System.getProperty(e.getKey()) == null) {
                System.setProperty(e.getKey(), e.getValue());
            }
        }
        Quarkus.run(Ready.class, (exitCode, failure) -> {
            if (failure != null) {
                System.err.println("Strata standalone failed to start: " + rootMessage(failure));
            }
            System.exit(exitCode);
        });
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() != null ? root.getMessage() : root.toString();
    }

    /** Waits until storage serves, says so, then runs until asked to stop. */
    public static class Ready implements QuarkusApplication {

        @Inject
        GrpcServer grpcServer;
        @Inject
        StorageNode storage;

        @Override
        public int run(String... args) throws Exception {
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (!storage.isReady()) {
                if (System.nanoTime() > deadline) {
                    System.err.println("Strata standalone: storage did not become ready within 120 s");
                    return 1;
                }
                Thread.sleep(20);
            }
            String bootstrap = grpcServer.advertised().toString();
            System.out.println("Strata standalone ready: bootstrap " + bootstrap + " (data dir "
                    + System.getProperty("strata.data.dir") + ")");
            System.out.flush();
            Quarkus.waitForExit();
            return 0;
        }
    }
}
