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
     * against a concurrent appender reaches the last append: no signal falls between its look and
     * its registration unseen.
     */
    @Test
    void aReaderRacingAnAppenderNeverSleepsThroughAnAppend() throws InterruptedException {
        DataWaiters waiters = new DataWaiters();
        AtomicLong logEnd = new AtomicLong();
        int appends = 50_000;
        Thread appender = new Thread(() -> {
            for (int i = 0; i < appends; i++) {
                logEnd.incrementAndGet(); // grow the log, then signal, as HostedPartition does
                waiters.signal();
            }
        });
        appender.start();
        Semaphore woken = new Semaphore(0);
        long looks = 0;
        while (true) {
            long seen = waiters.signals();
            long end = logEnd.get();
            looks++;
            if (end == appends) {
                break;
            }
            waiters.register(woken::release, seen);
            assertTrue(woken.tryAcquire(10, TimeUnit.SECONDS), "the reader slept through an append after log end " + end);
        }
        appender.join();
        assertTrue(looks > 1);
    }
}
