package io.strata.coordination.store;

import io.strata.coordination.testing.EtcdExtension;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The etcd store while etcd is gone (killed with SIGKILL) and after it is back: calls fail as
 * UNAVAILABLE within the request timeout, then work again; a watch rides out the outage and
 * resumes from the revision it had reached. This class kills its own etcd, not the one of the
 * contract tests.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class EtcdOutageTest {

    @RegisterExtension
    static final EtcdExtension ETCD = new EtcdExtension();

    private static final Duration TIMEOUT = Duration.ofSeconds(1);
    /** Generous: the client reconnects within about a second of etcd's return (EtcdReconnect). */
    private static final Duration RECOVERY = Duration.ofSeconds(30);

    private final String root = EtcdExtension.newRoot();
    private EtcdMetadataStore store;

    @BeforeEach
    void open() {
        store = open(TIMEOUT);
    }

    @AfterEach
    void close() {
        store.close();
        ETCD.heal();
    }

    private EtcdMetadataStore open(Duration timeout) {
        return EtcdMetadataStore.builder(ETCD.endpoints()).root(root).requestTimeout(timeout).open();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void assertUnavailableWithinTheTimeout(ThrowingCallable call) {
        long start = System.nanoTime();
        assertThatThrownBy(call).isInstanceOfSatisfying(MetadataStoreException.class, e -> {
            assertThat(e.reason()).isEqualTo(MetadataStoreException.Reason.UNAVAILABLE);
            assertThat(e.retriable()).isTrue();
            assertThat(e).hasMessageContaining(ETCD.endpoint().toString());
        });
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(TIMEOUT.plusSeconds(1));
    }

    @Test
    void whileEtcdIsDownEveryCallFailsAsUnavailableWithinTheTimeoutAndWorksAgainAfterARestart() {
        Lease lease = store.grantLease(Duration.ofSeconds(30));
        store.txn(List.of(), List.of(Op.put("kept", bytes("v"))));

        ETCD.kill();

        assertUnavailableWithinTheTimeout(() -> store.get("kept"));
        assertUnavailableWithinTheTimeout(() -> store.getPrefixes(List.of("a/", "b/")));
        assertUnavailableWithinTheTimeout(() -> store.txn(List.of(Compare.absent("x")), List.of(Op.put("x", bytes("v")))));
        assertUnavailableWithinTheTimeout(() -> store.currentRevision());
        assertUnavailableWithinTheTimeout(() -> store.grantLease(Duration.ofSeconds(5)));
        assertUnavailableWithinTheTimeout(() -> store.keepAlive(lease.id()));
        assertUnavailableWithinTheTimeout(() -> store.watchPrefix("", 0, events -> { }));

        ETCD.restart();

        await().atMost(RECOVERY).ignoreExceptionsMatching(e -> e instanceof MetadataStoreException m && m.retriable())
                .until(() -> store.get("kept").isPresent());
        assertThat(store.keepAlive(lease.id())).isTrue();
        assertThat(store.txn(List.of(Compare.absent("x")), List.of(Op.put("x", bytes("v")))).succeeded()).isTrue();
    }

    @Test
    void aWatchRidesOutAnOutageAndResumesFromTheRevisionItReached() {
        MetadataStoreContractTest.Recorder recorder = new MetadataStoreContractTest.Recorder();
        try (Watch ignored = store.watchPrefix("w/", 0, recorder)) {
            store.txn(List.of(), List.of(Op.put("w/1", bytes("v"))));
            await().atMost(Duration.ofSeconds(10)).until(() -> recorder.events().size() == 1);

            ETCD.kill();
            ETCD.restart();
            // Written by another client at once: the watch's new stream must start from the revision after w/1.
            try (EtcdMetadataStore writer = open(Duration.ofSeconds(10))) {
                await().atMost(RECOVERY).ignoreExceptionsMatching(e -> e instanceof MetadataStoreException m && m.retriable())
                        .until(() -> writer.txn(List.of(), List.of(Op.put("w/2", bytes("v")))).succeeded());
                writer.txn(List.of(), List.of(Op.delete("w/1")));
            }

            await().atMost(RECOVERY).until(() -> recorder.events().size() == 3);
        }
        assertThat(recorder.summary()).containsExactly("PUT w/1", "PUT w/2", "DELETE w/1");
        assertThat(recorder.events()).extracting(WatchEvent::revision).isSorted().doesNotHaveDuplicates();
        assertThat(recorder.errors).isEmpty();
    }
}
