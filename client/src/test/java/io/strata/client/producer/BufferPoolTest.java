package io.strata.client.producer;

import io.strata.client.StrataException;
import io.strata.proto.v1.ErrorCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(10)
class BufferPoolTest {

    @Test
    void reserveFailsWithBufferExhaustedWhenTheWaitRunsOut() {
        BufferPool pool = new BufferPool(100);
        pool.reserve(80, 0);
        assertThatThrownBy(() -> pool.reserve(30, 20))
                .isInstanceOfSatisfying(StrataException.class, e -> {
                    assertThat(e.reason()).isEqualTo(ErrorCode.BUFFER_EXHAUSTED);
                    assertThat(e.retriable()).isTrue();
                });
        assertThat(pool.availableBytes()).isEqualTo(20);
    }

    @Test
    void blockedReserveProceedsOnceMemoryIsReleased() throws Exception {
        BufferPool pool = new BufferPool(100);
        pool.reserve(100, 0);
        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<Void> waiter = CompletableFuture.runAsync(() -> {
            started.countDown();
            pool.reserve(60, 10_000);
        });
        started.await();
        assertThat(waiter).isNotDone();
        pool.release(60);
        waiter.join();
        assertThat(pool.availableBytes()).isZero();
    }

    @Test
    void recordLargerThanTheWholePoolFailsAtOnce() {
        BufferPool pool = new BufferPool(100);
        assertThatThrownBy(() -> pool.reserve(101, 10_000))
                .isInstanceOfSatisfying(StrataException.class,
                        e -> assertThat(e.reason()).isEqualTo(ErrorCode.RECORD_TOO_LARGE));
    }
}
