package io.strata.coordination.testing;

import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;

/**
 * A real single-member etcd for a test class: register it as a static field with
 * {@code @RegisterExtension}. Before the class it starts the {@code etcd} binary (Debian's
 * {@code etcd-server}, 3.4+) on two free loopback ports with a fresh data directory and waits
 * until {@code /health} answers; after the class it kills etcd and deletes the directory.
 * Tests may {@link #kill()} and {@link #restart()} it (same ports, same data) to play an
 * outage, or {@link #freeze()} and {@link #thaw()} it (SIGSTOP, SIGCONT) to play a hung etcd
 * whose connections stay open but answer nothing.
 *
 * <p>No etcd binary is a failure, never a skip: the etcd tests are part of the suite. The
 * binary is {@code /usr/bin/etcd}, else {@code etcd} on the PATH, or the file named by the
 * system property {@value #BINARY_PROPERTY}.
 */
public final class EtcdExtension implements BeforeAllCallback, AfterAllCallback {

    public static final String BINARY_PROPERTY = "strata.test.etcd";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    private Path baseDir;
    private int clientPort;
    private int peerPort;
    private Process process;
    private boolean frozen;
    private Thread killOnExit;

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        Path binary = binary();
        baseDir = Files.createTempDirectory("strata-etcd-");
        clientPort = freePort();
        peerPort = freePort();
        while (peerPort == clientPort) {
            peerPort = freePort();
        }
        start(binary);
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        kill();
        if (baseDir != null) {
            try (Stream<Path> files = Files.walk(baseDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** The client URL, {@code http://127.0.0.1:<port>}. */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + clientPort);
    }

    public List<URI> endpoints() {
        return List.of(endpoint());
    }

    /** A fresh, random store root (like {@code /t-3f9a…}), so tests sharing this etcd never see each other's keys. */
    public static String newRoot() {
        byte[] random = new byte[6];
        ThreadLocalRandom.current().nextBytes(random);
        return "/t-" + HexFormat.of().formatHex(random);
    }

    /** Stops etcd with SIGSTOP: its sockets stay open, nothing answers, until {@link #thaw()}. */
    public synchronized void freeze() {
        if (process == null || frozen) {
            throw new IllegalStateException(process == null ? "etcd is not running" : "etcd is already frozen");
        }
        signal("STOP");
        frozen = true;
    }

    /** Resumes a {@link #freeze() frozen} etcd with SIGCONT. */
    public synchronized void thaw() {
        if (!frozen) {
            throw new IllegalStateException("etcd is not frozen");
        }
        signal("CONT");
        frozen = false;
    }

    private void signal(String name) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run kill -" + name, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while sending SIG" + name + " to etcd", e);
        }
    }

    /** Kills etcd (SIGKILL, which also ends a frozen one) and waits for it to be gone. Idempotent. */
    public synchronized void kill() {
        if (process == null) {
            return;
        }
        frozen = false;
        process.destroyForcibly();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("etcd (pid " + process.pid() + ") did not exit within 10 s of SIGKILL");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while killing etcd", e);
        } finally {
            Runtime.getRuntime().removeShutdownHook(killOnExit);
            process = null;
        }
    }

    /** Starts etcd again on the same ports and data after {@link #kill()}. */
    public synchronized void restart() {
        if (process != null) {
            throw new IllegalStateException("etcd is running");
        }
        start(binary());
    }

    /** Undoes what a test did to etcd: thaws it if frozen, starts it again if killed; for clean-up after a test. */
    public synchronized void heal() {
        if (frozen) {
            thaw();
        }
        if (process == null) {
            start(binary());
        }
    }

    private synchronized void start(Path binary) {
        Path log = baseDir.resolve("etcd.log");
        String client = "http://127.0.0.1:" + clientPort;
        String peer = "http://127.0.0.1:" + peerPort;
        ProcessBuilder builder = new ProcessBuilder(binary.toString(),
                "--name", "t0",
                "--data-dir", baseDir.resolve("data").toString(),
                "--listen-client-urls", client,
                "--advertise-client-urls", client,
                "--listen-peer-urls", peer,
                "--initial-advertise-peer-urls", peer,
                "--initial-cluster", "t0=" + peer,
                "--initial-cluster-state", "new",
                "--log-level", "warn",
                "--logger", "zap")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + binary, e);
        }
        Process started = process;
        killOnExit = new Thread(started::destroyForcibly, "kill-test-etcd");
        Runtime.getRuntime().addShutdownHook(killOnExit);
        try {
            await().atMost(START_TIMEOUT).pollInterval(Duration.ofMillis(25)).until(() -> !started.isAlive() || healthy());
        } catch (ConditionTimeoutException e) {
            kill();
            throw new IllegalStateException("etcd did not report healthy on " + client + " within " + START_TIMEOUT.toSeconds()
                    + " s; its log:\n" + tail(log), e);
        }
        if (!started.isAlive()) {
            int exit = started.exitValue();
            kill();
            throw new IllegalStateException("etcd exited with " + exit + " at start; its log:\n" + tail(log));
        }
    }

    private boolean healthy() {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(endpoint() + "/health"))
                    .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 && response.body().replace(" ", "").contains("\"health\":\"true\"");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static Path binary() {
        Optional<Path> configured = Optional.ofNullable(System.getProperty(BINARY_PROPERTY)).map(Path::of);
        Optional<Path> found = configured.or(() -> Stream.concat(Stream.of(Path.of("/usr/bin/etcd")),
                        Stream.of(Optional.ofNullable(System.getenv("PATH")).orElse("").split(File.pathSeparator))
                                .filter(dir -> !dir.isEmpty()).map(dir -> Path.of(dir, "etcd")))
                .filter(Files::isExecutable).findFirst());
        return found.filter(Files::isExecutable).orElseThrow(() -> new IllegalStateException(
                "the etcd binary was not found (" + configured.map(p -> p + " is not executable")
                        .orElse("looked for /usr/bin/etcd and etcd on the PATH")
                        + "). The etcd tests need a real etcd 3.4 or newer: install it with `apt-get install etcd-server`"
                        + " (Debian/Ubuntu), or point -D" + BINARY_PROPERTY + " at an etcd binary."));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
        }
    }
}
