package io.strata.cli.perf;

import io.strata.client.ingestion.IngestionPublisher;
import io.strata.client.ingestion.PublishOutcome;
import io.strata.client.producer.ProducerRecord;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The load of {@code perf produce --via ingestion}: a thin client's way of writing. Several
 * threads ({@code --requests-in-flight}) each publish requests of {@code --records-per-request}
 * random values to the ingestion service and wait for the answer, so that many requests are in
 * flight at once; the ingestion service partitions, batches, compresses and forwards them.
 *
 * <p>A record's latency runs from just before its request is built to the answer, the thin
 * client's send-to-acknowledgement. A record the service refused counts as failed; a request
 * that failed as a whole counts all of its records as failed.
 */
final class IngestionLoad {

    private final String topic;
    private final long records;
    private final int recordSize;
    private final int recordsPerRequest;
    private final int requestsInFlight;
    private final Throttler throttler;

    IngestionLoad(String topic, long records, int recordSize, int recordsPerRequest, int requestsInFlight,
                  Throttler throttler) {
        this.topic = topic;
        this.records = records;
        this.recordSize = recordSize;
        this.recordsPerRequest = recordsPerRequest;
        this.requestsInFlight = requestsInFlight;
        this.throttler = throttler;
    }

    /**
     * Publishes every record.
     *
     * @param publishers a publisher per sending thread (each is used by one thread only)
     * @param statsFrom  the stats a record with the given index counts in (whole run, and steady state after the warm-up)
     */
    void run(Function<Integer, IngestionPublisher> publishers, Function<Long, List<PerfStats>> statsFrom,
             PerfProduceCommand.Failures failures) throws InterruptedException {
        AtomicLong nextIndex = new AtomicLong();
        ExecutorService threads = Executors.newFixedThreadPool(requestsInFlight, r -> {
            Thread t = new Thread(r, "perf-ingestion");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < requestsInFlight; i++) {
                int thread = i;
                done.add(threads.submit(() -> {
                    try (IngestionPublisher publisher = publishers.apply(thread)) {
                        publishUntilDone(publisher, new Payloads(recordSize, thread), nextIndex, statsFrom, failures);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    failures.add(e.getCause());
                }
            }
        } finally {
            threads.shutdownNow();
        }
    }

    private void publishUntilDone(IngestionPublisher publisher, Payloads payloads, AtomicLong nextIndex,
                                  Function<Long, List<PerfStats>> statsFrom, PerfProduceCommand.Failures failures) {
        List<ProducerRecord<byte[], byte[]>> request = new ArrayList<>(recordsPerRequest);
        while (true) {
            long first = nextIndex.getAndAdd(recordsPerRequest);
            if (first >= records) {
                return;
            }
            int n = (int) Math.min(recordsPerRequest, records - first);
            throttler.pace(first + n);
            statsFrom.apply(first); // opens the steady-state measurement when this request is the first after the warm-up
            long start = System.nanoTime();
            request.clear();
            for (int i = 0; i < n; i++) {
                request.add(new ProducerRecord<>(topic, payloads.next().clone()));
            }
            List<PublishOutcome> outcomes;
            try {
                outcomes = publisher.publish(request);
            } catch (RuntimeException e) {
                for (int i = 0; i < n; i++) {
                    failures.add(e);
                }
                continue;
            }
            long now = System.nanoTime();
            long latency = now - start;
            for (int i = 0; i < n; i++) {
                PublishOutcome outcome = outcomes.get(i);
                if (outcome.succeeded()) {
                    for (PerfStats stats : statsFrom.apply(first + i)) {
                        stats.record(recordSize, latency, now);
                    }
                } else {
                    failures.add(outcome.error());
                }
            }
        }
    }

    /** A publisher's config: the thin client knows bootstrap, client id and acks only. */
    static Map<String, Object> publisherConfig(String bootstrap, String clientId, String acks) {
        Map<String, Object> config = new java.util.LinkedHashMap<>();
        config.put("bootstrap.servers", bootstrap);
        config.put("client.id", clientId);
        if (acks != null) {
            config.put("acks", acks);
        }
        return config;
    }
}
