package io.strata.bench;

import io.strata.client.producer.ProducerConfig;
import io.strata.client.producer.ProducerRecord;
import io.strata.client.producer.StrataProducer;
import io.strata.client.serialization.ByteArraySerializer;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A background producer writing {@code ratePerSec} records of {@code recordSize} bytes to every
 * partition of a topic in turn (round robin, so each partition gets {@code ratePerSec / partitions}
 * records per second), at a fixed rate from its own thread, until closed. acks=1, linger.ms=5 unless
 * {@code props} say otherwise. Thread-safe counters.
 */
final class SteadyProducer implements AutoCloseable {

    private final StrataProducer<byte[], byte[]> producer;
    private final String topic;
    private final int partitions;
    private final long ratePerSec;
    private final int recordSize;
    private final Thread thread;
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong acked = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private volatile Throwable lastError;
    private volatile boolean stopping;

    SteadyProducer(String bootstrap, String topic, int partitions, long ratePerSec, int recordSize, Map<String, String> props) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("bootstrap.servers", bootstrap);
        config.put("client.id", "strata-bench-steady-producer");
        config.put(ProducerConfig.ACKS, "1");
        config.put(ProducerConfig.LINGER_MS, "5");
        config.putAll(props);
        this.producer = new StrataProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
        this.topic = topic;
        this.partitions = partitions;
        this.ratePerSec = ratePerSec;
        this.recordSize = recordSize;
        this.thread = Thread.ofPlatform().name("bench-steady-producer").daemon().unstarted(this::run);
    }

    SteadyProducer start() {
        thread.start();
        return this;
    }

    private void run() {
        long start = System.nanoTime();
        byte[] value = new byte[recordSize];
        ThreadLocalRandom.current().nextBytes(value);
        int next = 0;
        while (!stopping) {
            long due = (System.nanoTime() - start) * ratePerSec / 1_000_000_000L - sent.get();
            for (long i = 0; i < due && !stopping; i++) {
                try {
                    producer.send(new ProducerRecord<>(topic, next, null, value)).whenComplete((md, error) -> {
                        if (error == null) {
                            acked.incrementAndGet();
                        } else {
                            failed.incrementAndGet();
                            lastError = error;
                        }
                    });
                } catch (RuntimeException e) {
                    failed.incrementAndGet();
                    lastError = e;
                }
                sent.incrementAndGet();
                next = next + 1 == partitions ? 0 : next + 1;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    long sent() {
        return sent.get();
    }

    long acked() {
        return acked.get();
    }

    long failed() {
        return failed.get();
    }

    String lastError() {
        Throwable e = lastError;
        return e == null ? "none" : e.toString();
    }

    @Override
    public void close() throws InterruptedException {
        stopping = true;
        thread.join(10_000);
        producer.close();
    }
}
