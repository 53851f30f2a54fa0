package io.strata.client.producer;

import io.strata.client.TopicPartition;
import io.strata.client.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A leader that freezes (SIGSTOP, or a network that silently drops everything) keeps its
 * connection open, so only keepalive pings tell: the producer's request fails after about
 * {@link Sender#KEEP_ALIVE}'s time plus timeout, far sooner than {@code request.timeout.ms}, and
 * is resent on a new connection.
 */
@Timeout(90)
class FrozenLeaderTest {

    @Test
    void aRequestToAFrozenLeaderFailsByKeepaliveAndIsResentLongBeforeTheRequestTimeout() throws Exception {
        TopicPartition tp = new TopicPartition("t", 0);
        try (StreamingLeader leader = new StreamingLeader().topic("t", 1);
             FreezingProxy proxy = new FreezingProxy(leader.port())) {
            leader.advertisePort(proxy.port());
            Map<String, Object> config = Map.of("bootstrap.servers", leader.bootstrap(), "linger.ms", 0,
                    "request.timeout.ms", 120_000, "delivery.timeout.ms", 300_000);
            try (var producer = new StrataProducer<>(config, new StringSerializer(), new StringSerializer())) {
                assertThat(producer.send(new ProducerRecord<>("t", "before")).get(10, TimeUnit.SECONDS).offset()).isZero();
                proxy.freezeOpenConnections();
                long frozenAt = System.nanoTime();
                CompletableFuture<RecordMetadata> during = producer.send(new ProducerRecord<>("t", "during"));
                assertThat(during.get(60, TimeUnit.SECONDS).offset()).isEqualTo(1);
                long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - frozenAt);
                long keepAliveMs = Sender.KEEP_ALIVE.timeMs() + Sender.KEEP_ALIVE.timeoutMs();
                assertThat(tookMs).isBetween(Sender.KEEP_ALIVE.timeoutMs(), keepAliveMs + 10_000);
            }
            assertThat(leader.records(tp).stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)))
                    .containsExactly("before", "during");
            assertThat(leader.streamsOpened()).isEqualTo(2);
        }
    }

    /** A TCP proxy whose open connections can be frozen: they stay open and carry nothing more either way. */
    private static final class FreezingProxy implements AutoCloseable {
        private final ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final int target;
        private final List<Connection> connections = new CopyOnWriteArrayList<>();

        FreezingProxy(int target) throws IOException {
            this.target = target;
            Thread.ofVirtual().start(this::accept);
        }

        int port() {
            return listener.getLocalPort();
        }

        void freezeOpenConnections() {
            connections.forEach(c -> c.frozen = true);
        }

        private void accept() {
            try {
                while (true) {
                    Socket client = listener.accept();
                    Socket server = new Socket(InetAddress.getLoopbackAddress(), target);
                    Connection c = new Connection(client, server);
                    connections.add(c);
                    Thread.ofVirtual().start(() -> c.pump(client, server));
                    Thread.ofVirtual().start(() -> c.pump(server, client));
                }
            } catch (IOException closed) {
                // the proxy is closed
            }
        }

        @Override
        public void close() throws IOException {
            listener.close();
            for (Connection c : connections) {
                c.client.close();
                c.server.close();
            }
        }

        private static final class Connection {
            final Socket client;
            final Socket server;
            volatile boolean frozen;

            Connection(Socket client, Socket server) {
                this.client = client;
                this.server = server;
            }

            void pump(Socket from, Socket to) {
                byte[] buf = new byte[64 * 1024];
                try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                    int n;
                    while ((n = in.read(buf)) >= 0) {
                        if (!frozen) {
                            out.write(buf, 0, n);
                            out.flush();
                        }
                    }
                } catch (IOException closed) {
                    // one side closed
                }
            }
        }
    }
}
