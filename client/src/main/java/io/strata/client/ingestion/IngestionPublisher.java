package io.strata.client.ingestion;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.grpc.StatusRuntimeException;
import io.strata.client.CommonClientConfigs;
import io.strata.client.StrataException;
import io.strata.client.admin.StrataAdmin;
import io.strata.client.internal.Address;
import io.strata.client.internal.ChannelPool;
import io.strata.client.internal.ClientConfig;
import io.strata.client.internal.Errors;
import io.strata.client.internal.NodeThrottle;
import io.strata.client.producer.ProducerConfig;
import io.strata.client.producer.ProducerRecord;
import io.strata.client.producer.RecordMetadata;
import io.strata.proto.StrataError;
import io.strata.proto.v1.Acks;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.Header;
import io.strata.proto.v1.IngestionGrpc;
import io.strata.proto.v1.PublishAck;
import io.strata.proto.v1.PublishRecord;
import io.strata.proto.v1.PublishRequest;
import io.strata.proto.v1.PublishResponse;
import io.strata.proto.v1.PublishResult;
import io.strata.proto.v1.PublishResultRun;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A thin client: hands records to an ingestion instance (found through coordination's
 * metadata, {@code ingestion_endpoints}), which picks partitions, batches, compresses and
 * forwards them to the leaders, and answers each record with where it landed.
 *
 * <p>Config: {@code bootstrap.servers} (coordination), {@code client.id}, {@code acks}
 * ({@code 0}, {@code 1}, {@code all}; default all), {@code request.timeout.ms} (how long one
 * {@link #publish} may take, retries included). An instance that cannot be reached is left for
 * the next one; an instance out of buffer memory ({@code BUFFER_EXHAUSTED}, nothing of the
 * request taken) is asked again after the delay it advises. A request is never resent once an
 * instance may have taken it: when the instance fails while handling it, the publish fails with
 * {@code REQUEST_TIMED_OUT} (outcome unknown: some records may be in the log), because another
 * instance would write them a second time. Records refused for their own reason come back in their
 * {@link PublishOutcome}. {@link #publish(List, AckMode)} with {@link AckMode#SPOOLED} is answered
 * once the instance has the records on its disk, before they reach the log. An answer with
 * {@code throttle_time_ms} (the client id is over its producer quota) delays the next publish to
 * that instance by that time, as Kafka's clients do. Not thread-safe: one caller at a time.
 *
 * <pre>{@code
 * try (var publisher = new IngestionPublisher(Map.of("bootstrap.servers", "127.0.0.1:9092"))) {
 *     List<PublishOutcome> outcomes = publisher.publish(List.of(new ProducerRecord<>("events", key, value)));
 * }
 * }</pre>
 */
public final class IngestionPublisher implements AutoCloseable {

    private static final long RETRY_MS = 100;

    private final StrataAdmin admin;
    private final ChannelPool channels;
    private final String clientId;
    private final Acks acks;
    private final int requestTimeoutMs;
    private final NodeThrottle throttle = new NodeThrottle(Clock.systemUTC());
    private List<Address> endpoints = List.of();
    private int next;

    /** @throws IllegalArgumentException for an invalid config value */
    public IngestionPublisher(Map<String, ?> configs) {
        ClientConfig c = new ClientConfig(configs, Set.of(ProducerConfig.ACKS), "ingestion publisher");
        this.clientId = c.clientId();
        this.requestTimeoutMs = c.requestTimeoutMs();
        this.acks = switch (c.string(ProducerConfig.ACKS, "all")) {
            case "0" -> Acks.ACKS_NONE;
            case "1" -> Acks.ACKS_LEADER;
            case "all", "-1" -> Acks.ACKS_ALL;
            default -> throw new IllegalArgumentException("invalid acks: expected 0, 1 or all");
        };
        this.admin = new StrataAdmin(Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS, configs.get(CommonClientConfigs.BOOTSTRAP_SERVERS),
                CommonClientConfigs.CLIENT_ID, clientId, CommonClientConfigs.REQUEST_TIMEOUT_MS, requestTimeoutMs));
        this.channels = new ChannelPool(clientId);
    }

    /**
     * Publishes the records as one request and waits until the log acknowledged each
     * ({@link AckMode#COMMITTED}). Keys and values are sent without a copy: leave their arrays
     * unchanged until the call returns.
     *
     * @return one outcome per record, in order
     * @throws StrataException when the request as a whole failed: no ingestion instance, a
     *                         malformed request ({@code INVALID_REQUEST}, {@code INVALID_TOPIC}),
     *                         or no instance answered within {@code request.timeout.ms}
     */
    public List<PublishOutcome> publish(List<ProducerRecord<byte[], byte[]>> records) {
        return publish(records, AckMode.COMMITTED);
    }

    /**
     * Publishes the records as one request and waits for the answer {@code ack} asks for.
     *
     * @param ack {@link AckMode#COMMITTED}: each outcome carries the record's offset in the log;
     *            {@link AckMode#SPOOLED}: the request is answered once the instance fsynced the
     *            records in its spool, and each outcome carries the partition chosen and offset -1
     *            (the instance forwards them later, exactly once, in order per partition)
     * @return one outcome per record, in order
     * @throws StrataException as {@link #publish(List)}; with {@code SPOOLED} also
     *                         {@code BUFFER_EXHAUSTED} when the spool stayed full until
     *                         {@code request.timeout.ms}, or {@code STORAGE_ERROR} when the
     *                         instance's spool failed
     */
    public List<PublishOutcome> publish(List<ProducerRecord<byte[], byte[]>> records, AckMode ack) {
        PublishRequest request = toRequest(records, ack);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(requestTimeoutMs);
        StrataException last = null;
        while (System.nanoTime() < deadline) {
            Address target = endpoint();
            long leftMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
            long throttled = throttle.delayMs(target);
            if (throttled > 0) {
                sleep(Math.min(throttled, leftMs));
                continue;
            }
            try {
                PublishResponse response = IngestionGrpc.newBlockingStub(channels.channel(target))
                        .withDeadlineAfter(leftMs, TimeUnit.MILLISECONDS).publish(request);
                throttle.throttle(target, response.getThrottleTimeMs());
                return outcomes(records, response);
            } catch (StatusRuntimeException e) {
                last = Errors.toStrataException(e, "ingestion " + target);
                if (last.reason() == ErrorCode.BUFFER_EXHAUSTED) {
                    // Refused whole, nothing of it was taken: the same request again after the advised wait.
                    sleep(Math.min(retryAfterMs(e), leftMs));
                } else if (neverReached(e)) {
                    next++; // unreachable: the next instance, with a fresh list
                    endpoints = List.of();
                    sleep(Math.min(RETRY_MS, leftMs));
                } else if (last.reason() == ErrorCode.ERROR_CODE_UNSPECIFIED && last.retriable()) {
                    // The instance may have taken (and forwarded or spooled) some records before it failed, and
                    // another instance would write them again under another producer id: not resent.
                    throw new StrataException(ErrorCode.REQUEST_TIMED_OUT, "REQUEST_TIMED_OUT", false,
                            last.statusCode().orElse(null), "ingestion " + target + " failed while handling the request ("
                            + last.getMessage() + "): its " + records.size() + " record(s) may or may not have been"
                            + " written, so they are not resent; publish them again if duplicates are acceptable", last);
                } else {
                    throw last;
                }
            }
        }
        throw last != null ? last : new StrataException(ErrorCode.REQUEST_TIMED_OUT,
                "no ingestion instance answered within " + requestTimeoutMs + " ms (request.timeout.ms)");
    }

    /** Whether the call failed before it reached the instance (connection refused or unresolvable). */
    private static boolean neverReached(StatusRuntimeException e) {
        if (e.getStatus().getCode() != io.grpc.Status.Code.UNAVAILABLE) {
            return false;
        }
        for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
            if (t instanceof java.net.ConnectException || t instanceof java.net.UnknownHostException) {
                return true;
            }
        }
        return false;
    }

    private static long retryAfterMs(StatusRuntimeException e) {
        String advised = e.getTrailers() == null ? null : e.getTrailers().get(StrataError.RETRY_AFTER_KEY);
        try {
            return advised == null ? RETRY_MS : Math.max(1, Long.parseLong(advised.trim()));
        } catch (NumberFormatException ignored) {
            return RETRY_MS;
        }
    }

    private Address endpoint() {
        if (endpoints.isEmpty()) {
            endpoints = admin.clusterMetadata().ingestionEndpoints().stream().map(Address::parse).toList();
            if (endpoints.isEmpty()) {
                throw new StrataException(ErrorCode.NOT_ENOUGH_NODES,
                        "no ingestion instance is registered with the cluster: start one, or produce directly");
            }
        }
        return endpoints.get(Math.floorMod(next, endpoints.size()));
    }

    private PublishRequest toRequest(List<ProducerRecord<byte[], byte[]>> records, AckMode ack) {
        PublishRequest.Builder request = PublishRequest.newBuilder().setAcks(acks).setClientId(clientId)
                .setAck(ack == AckMode.SPOOLED ? PublishAck.PUBLISH_ACK_SPOOLED : PublishAck.PUBLISH_ACK_COMMITTED)
                .setResultRuns(true);
        for (ProducerRecord<byte[], byte[]> r : records) {
            // Wrapped, not copied: the request is serialized and sent within publish(), while the
            // caller still owns (and must not change) the arrays; a copy per record cost more CPU than the send.
            PublishRecord.Builder b = PublishRecord.newBuilder().setTopic(r.topic())
                    .setValue(r.value() == null ? ByteString.EMPTY : UnsafeByteOperations.unsafeWrap(r.value()));
            if (r.key() != null) {
                b.setKey(UnsafeByteOperations.unsafeWrap(r.key()));
            }
            if (r.partition() != null) {
                b.setPartition(r.partition());
            }
            if (r.timestamp() != null) {
                b.setTimestampMs(r.timestamp());
            }
            r.headers().forEach(h -> b.addHeaders(Header.newBuilder().setKey(h.key())
                    .setValue(h.value() == null ? ByteString.EMPTY : ByteString.copyFrom(h.value()))));
            request.addRecords(b);
        }
        return request.build();
    }

    /**
     * One outcome per record, from the answer's runs (every record succeeded) or from its
     * per-record results (an instance that predates runs, or a record failed).
     */
    static List<PublishOutcome> outcomes(List<ProducerRecord<byte[], byte[]>> records, PublishResponse response) {
        boolean runs = response.getRunsCount() > 0;
        int answered = runs ? response.getRunsList().stream().mapToInt(PublishResultRun::getCount).sum()
                : response.getResultsCount();
        if (answered != records.size()) {
            throw new StrataException(ErrorCode.INTERNAL_ERROR, "the ingestion instance answered " + answered
                    + " results for " + records.size() + " records");
        }
        List<PublishOutcome> outcomes = new ArrayList<>(records.size());
        if (runs) {
            int i = 0;
            for (PublishResultRun run : response.getRunsList()) {
                for (int k = 0; k < run.getCount(); k++, i++) {
                    long offset = run.getFirstOffset() < 0 ? run.getFirstOffset() : run.getFirstOffset() + k;
                    outcomes.add(new PublishOutcome(new RecordMetadata(records.get(i).topic(), run.getPartition(), offset,
                            run.getTimestampMs()), null));
                }
            }
            return outcomes;
        }
        for (int i = 0; i < records.size(); i++) {
            PublishResult r = response.getResults(i);
            if (r.getError() == ErrorCode.ERROR_CODE_UNSPECIFIED) {
                outcomes.add(new PublishOutcome(new RecordMetadata(records.get(i).topic(), r.getPartition(), r.getOffset(),
                        r.getTimestampMs()), null));
            } else {
                outcomes.add(new PublishOutcome(null, new StrataException(r.getError(), r.getErrorMessage())));
            }
        }
        return outcomes;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StrataException(ErrorCode.REQUEST_TIMED_OUT, "interrupted while publishing");
        }
    }

    @Override
    public void close() {
        channels.close();
        admin.close();
    }
}
