package io.strata.tests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where the built project lives, and small process helpers shared by the system tests. */
final class StrataHome {

    private StrataHome() {
    }

    static Path root() {
        String home = System.getProperty("strata.home");
        Path p = home != null ? Path.of(home) : Path.of("..").toAbsolutePath().normalize();
        if (!Files.exists(p.resolve("bin/strata"))) {
            throw new IllegalStateException("cannot find bin/strata under " + p + " (set -Dstrata.home)");
        }
        return p;
    }

    static Path launcher() {
        return root().resolve("bin/strata");
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
