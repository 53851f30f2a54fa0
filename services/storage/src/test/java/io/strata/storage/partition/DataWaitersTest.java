package io.strata.storage.partition;

import org.junit.jupiter.api.Test;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DataWaitersTest {

    @Test
    void aWaiterRegisteredWithTheCurrentCountRunsAtTheNextSignalOnly() {
        DataWaiters waiters = new DataWaiters();
        AtomicInteger runs = new AtomicInteger();
        waiters.register(runs::incrementAndGet, waiters.signals());
        assertEquals(0, runs.get());

        waiters.signal();
        waiters.signal();

        assertEquals(1, runs.get(), "one-shot: the second signal finds no waiter");
    }

    @Test
    void aSignalBetweenTheReadAndTheRegistrationRunsTheWaiterAtOnce() {
        DataWaiters waiters = new DataWaiters();
        long seen = waiters.signals();
        waiters.signal(); // the append the reader's look at the log missed

        AtomicInteger runs = new AtomicInteger();
        waiters.register(runs::incrementAndGet, seen);

        assertEquals(1, runs.get());
        waiters.signal();
        assertEquals(1, runs.get(), "run at registration, so not registered");
    }

    @Test
    void aRemovedWaiterDoesNotRun() {
        DataWaiters waiters = new DataWaiters();
        AtomicInteger runs = new AtomicInteger();
        Runnable remove = waiters.register(runs::incrementAndGet, waiters.signals());

        remove.run();
        remove.run();
        waiters.signal();

        assertEquals(0, runs.get());
    }

    /**
     * A reader following the pattern (read the count, look at the log, register with the count)
     * against an appender that appends the next record the moment the reader has seen the last
     * one — right inside the reader's window between its look and its registration. A signal lost
     * there leaves the reader asleep for good (nothing else is appended) and the appender waiting.
     */
    @Test
    void aReaderRacingAnAppenderNeverSleepsThroughAnAppend() throws InterruptedException {
        DataWaiters waiters = new DataWaiters();
        AtomicLong logEnd = new AtomicLong();
        AtomicLong seenByReader = new AtomicLong(-1);
        int appends = 20_000;
        Thread reader = new Thread(() -> {
            Semaphore woken = new Semaphore(0);
            while (true) {
                long seen = waiters.signals();
                long end = logEnd.get();
                seenByReader.set(end);
                if (end == appends) {
                    return;
                }
                waiters.register(woken::release, seen);
                try {
                    if (!woken.tryAcquire(10, TimeUnit.SECONDS)) {
                        return;
                    }
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        reader.start();
        for (int i = 1; i <= appends; i++) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (seenByReader.get() < i - 1) {
                assertTrue(System.nanoTime() < deadline, "the reader slept through the append of record " + (i - 1));
                Thread.onSpinWait();
            }
            logEnd.incrementAndGet(); // grow the log, then signal, as HostedPartition does
            waiters.signal();
        }
        reader.join(TimeUnit.SECONDS.toMillis(10));
        assertEquals(appends, seenByReader.get(), "the reader slept through the last append");
    }
}
