package io.strata.client.producer;

import io.strata.client.StrataException;
import io.strata.proto.v1.ErrorCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
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

    @Test
    void aReleasedBatchBufferIsKeptWithItsMemoryAndHandedToTheNextBatch() {
        BufferPool pool = new BufferPool(1000, 100);
        pool.reserve(100 + 20, 0); // a batch's buffer and its records' objects
        ByteBuffer buffer = ByteBuffer.allocate(100);
        pool.release(120, buffer);

        assertThat(pool.freeBuffers()).isEqualTo(1);
        assertThat(pool.availableBytes()).isEqualTo(1000); // a free buffer is available memory
        assertThat(pool.takeFree(50)).isNull(); // only a batch of the pooled size takes one
        assertThat(pool.takeFree(100)).isSameAs(buffer);
        assertThat(pool.availableBytes()).isEqualTo(900); // its memory came reserved with it
        assertThat(pool.takeFree(100)).isNull();
    }

    @Test
    void buffersOfAnotherSizeAreNotKept() {
        BufferPool pool = new BufferPool(1000, 100);
        pool.reserve(200, 0);
        pool.release(200, ByteBuffer.allocate(200));
        assertThat(pool.freeBuffers()).isZero();
        assertThat(pool.availableBytes()).isEqualTo(1000);
    }

    @Test
    void aReservationThatDoesNotFitDropsTheFreeBuffersInsteadOfWaiting() {
        BufferPool pool = new BufferPool(300, 100);
        pool.reserve(300, 0);
        pool.release(100, ByteBuffer.allocate(100));
        pool.release(100, ByteBuffer.allocate(100));
        assertThat(pool.freeBuffers()).isEqualTo(2);

        pool.reserve(150, 0); // fits only once the free buffers' memory is given back

        assertThat(pool.freeBuffers()).isZero();
        assertThat(pool.availableBytes()).isEqualTo(50);
    }

    @Test
    void aSmallReservationThatDoesNotFitGivesBackOneFreeBufferAtATime() {
        BufferPool pool = new BufferPool(300, 100);
        pool.reserve(300, 0);
        ByteBuffer older = ByteBuffer.allocate(100);
        ByteBuffer newer = ByteBuffer.allocate(100);
        pool.release(100, older);
        pool.release(100, newer);

        pool.reserve(50, 0);

        assertThat(pool.freeBuffers()).isEqualTo(1);
        assertThat(pool.availableBytes()).isEqualTo(150);
        assertThat(pool.takeFree(100)).isSameAs(newer); // the least recently used went first
    }

    @Test
    void aBatchWaitingForMemoryTakesTheBufferACompletedBatchGivesBack() throws Exception {
        BufferPool pool = new BufferPool(120, 100);
        pool.reserve(120, 0); // one batch and its records' objects hold everything
        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<ByteBuffer> waiter = CompletableFuture.supplyAsync(() -> {
            started.countDown();
            return pool.reserveBatch(100, 10_000);
        });
        started.await();
        while (!pool.hasWaiters()) {
            Thread.onSpinWait();
        }
        ByteBuffer buffer = ByteBuffer.allocate(100);
        pool.release(120, buffer);

        assertThat(waiter.join()).isSameAs(buffer); // reused, not dropped for a fresh allocation
        assertThat(pool.freeBuffers()).isZero();
        assertThat(pool.availableBytes()).isEqualTo(20);
    }

    @Test
    void aSmallerReservationWaitingForMemoryGetsTheReleasedBuffersMemory() throws Exception {
        BufferPool pool = new BufferPool(100, 100);
        pool.reserve(100, 0);
        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<Void> waiter = CompletableFuture.runAsync(() -> {
            started.countDown();
            pool.reserve(60, 10_000);
        });
        started.await();
        while (!pool.hasWaiters()) {
            Thread.onSpinWait();
        }
        pool.release(100, ByteBuffer.allocate(100));
        waiter.join();
        assertThat(pool.freeBuffers()).isZero();
        assertThat(pool.availableBytes()).isEqualTo(40);
    }

    @Test
    void aBatchReservationTakesAFreeBufferOrReservesTheBytes() {
        BufferPool pool = new BufferPool(1000, 100);
        assertThat(pool.reserveBatch(100, 0)).isNull(); // none free: the bytes are reserved, the caller allocates
        assertThat(pool.availableBytes()).isEqualTo(900);
        ByteBuffer buffer = ByteBuffer.allocate(100);
        pool.release(100, buffer);
        assertThat(pool.reserveBatch(100, 0)).isSameAs(buffer);
        assertThat(pool.reserveBatch(150, 0)).isNull(); // not the pooled size
        assertThat(pool.availableBytes()).isEqualTo(750);
        assertThatThrownBy(() -> pool.reserveBatch(1001, 0))
                .isInstanceOfSatisfying(StrataException.class,
                        e -> assertThat(e.reason()).isEqualTo(ErrorCode.RECORD_TOO_LARGE));
    }

    @Test
    void underALimitReservationsWaitWhileTheMemoryInUseWouldExceedIt() throws Exception {
        BufferPool pool = new BufferPool(1000);
        pool.limit(300);
        pool.reserve(250, 0);
        assertThat(pool.inUseBytes()).isEqualTo(250);
        assertThatThrownBy(() -> pool.reserve(100, 0)) // 700 bytes are free, but the limit is reached
                .isInstanceOfSatisfying(StrataException.class, e -> {
                    assertThat(e.reason()).isEqualTo(ErrorCode.BUFFER_EXHAUSTED);
                    assertThat(e.getMessage()).contains("of which 300").contains(ProducerConfig.QUEUE_MAX_DELAY_MS);
                });
        pool.reserve(50, 0); // up to the limit exactly

        CompletableFuture<Void> waiter = CompletableFuture.runAsync(() -> pool.reserve(100, 10_000));
        while (!pool.hasWaiters()) {
            Thread.onSpinWait();
        }
        pool.release(100); // in use 200: room for 100 more under the limit
        waiter.join();
        assertThat(pool.inUseBytes()).isEqualTo(300);
    }

    @Test
    void raisingTheLimitWakesAWaitingReservation() throws Exception {
        BufferPool pool = new BufferPool(1000);
        pool.limit(100);
        pool.reserve(100, 0);
        CompletableFuture<Void> waiter = CompletableFuture.runAsync(() -> pool.reserve(100, 10_000));
        while (!pool.hasWaiters()) {
            Thread.onSpinWait();
        }
        assertThat(waiter).isNotDone();
        pool.limit(1000);
        waiter.join();
        assertThat(pool.inUseBytes()).isEqualTo(200);
    }

    @Test
    void aLimitNeverStallsAnEmptyPool() {
        BufferPool pool = new BufferPool(1000);
        pool.limit(10);
        pool.reserve(500, 0); // nothing in use: it goes through whatever the limit
        assertThat(pool.inUseBytes()).isEqualTo(500);
    }

    @Test
    void freeBuffersAreNotInUseAndAreNotHandedOutAboveTheLimit() {
        BufferPool pool = new BufferPool(1000, 100);
        pool.reserve(300, 0);
        pool.release(100, ByteBuffer.allocate(100));
        assertThat(pool.inUseBytes()).isEqualTo(200);
        pool.limit(250);
        assertThat(pool.takeFree(100)).isNull(); // 200 + 100 would pass the limit
        assertThatThrownBy(() -> pool.reserveBatch(100, 0))
                .isInstanceOfSatisfying(StrataException.class,
                        e -> assertThat(e.reason()).isEqualTo(ErrorCode.BUFFER_EXHAUSTED));
        assertThat(pool.freeBuffers()).isEqualTo(1); // not dropped: memory is not what is short
        pool.limit(300);
        assertThat(pool.reserveBatch(100, 0)).isNotNull();
        assertThat(pool.inUseBytes()).isEqualTo(300);
    }
}
