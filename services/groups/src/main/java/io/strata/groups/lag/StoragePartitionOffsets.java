package io.strata.groups.lag;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.strata.groups.assignor.TopicPartition;
import io.strata.groups.coordinator.PartitionOffsets;
import io.strata.proto.v1.ClusterMetadata;
import io.strata.proto.v1.ListOffsetsRequest;
import io.strata.proto.v1.ListOffsetsResponse;
import io.strata.proto.v1.Node;
import io.strata.proto.v1.OffsetSpec;
import io.strata.proto.v1.PartitionState;
import io.strata.proto.v1.StorageGrpc;
import io.strata.proto.v1.TopicMetadata;
import io.strata.runtime.HostPort;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Partition offsets from the partitions' leaders: storage {@code ListOffsets}, one call per
 * partition, sent to the leader named by the newest WatchMetadata snapshot (leader node id → that
 * node's {@code host:port}). Calls are grouped per leader, at most {@value #MAX_IN_FLIGHT_PER_LEADER}
 * in flight to one leader, each with a {@value #CALL_DEADLINE_MS} ms deadline, and a whole answer
 * takes at most {@value #ANSWER_DEADLINE_MS} ms. A partition whose leader is unknown (no snapshot, leader
 * -1, node not live) or did not answer in time or refused (NOT_LEADER after a move) is left out —
 * never guessed. One channel per leader address, kept while the address is in the snapshot;
 * {@link #close()} shuts them all. Thread-safe; every future completes.
 */
public final class StoragePartitionOffsets implements PartitionOffsets, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(StoragePartitionOffsets.class);
    static final long CALL_DEADLINE_MS = 5_000;
    static final long ANSWER_DEADLINE_MS = 10_000;
    static final int MAX_IN_FLIGHT_PER_LEADER = 32;

    private final Supplier<Optional<ClusterMetadata>> metadata;
    private final Function<HostPort, ManagedChannel> channelFactory;
    private final Map<HostPort, ManagedChannel> channels = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /** @param metadata the newest cluster snapshot (empty on a standby, or before the first one) */
    public StoragePartitionOffsets(Supplier<Optional<ClusterMetadata>> metadata) {
        this(metadata, address -> NettyChannelBuilder.forAddress(address.host(), address.port()).usePlaintext().build());
    }

    StoragePartitionOffsets(Supplier<Optional<ClusterMetadata>> metadata, Function<HostPort, ManagedChannel> channelFactory) {
        this.metadata = metadata;
        this.channelFactory = channelFactory;
    }

    @Override
    public CompletableFuture<Map<TopicPartition, Long>> latest(Collection<TopicPartition> partitions) {
        return ask(partitions, OffsetSpec.LATEST, 0);
    }

    @Override
    public CompletableFuture<Map<TopicPartition, Long>> earliest(Collection<TopicPartition> partitions) {
        return ask(partitions, OffsetSpec.EARLIEST, 0);
    }

    @Override
    public CompletableFuture<Map<TopicPartition, Long>> forTime(Collection<TopicPartition> partitions, long timestampMs) {
        return ask(partitions, OffsetSpec.TIMESTAMP, timestampMs);
    }

    private CompletableFuture<Map<TopicPartition, Long>> ask(Collection<TopicPartition> partitions, OffsetSpec spec, long timestampMs) {
        Optional<ClusterMetadata> snapshot = metadata.get();
        if (closed || snapshot.isEmpty() || partitions.isEmpty()) {
            return CompletableFuture.completedFuture(Map.of());
        }
        Map<HostPort, List<TopicPartition>> byLeader = byLeader(snapshot.get(), new HashSet<>(partitions));
        List<CompletableFuture<Map<TopicPartition, Long>>> answers = new ArrayList<>();
        byLeader.forEach((leader, tps) -> answers.add(askLeader(leader, tps, spec, timestampMs)));
        return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).thenApply(done -> {
            Map<TopicPartition, Long> merged = new HashMap<>();
            answers.forEach(a -> merged.putAll(a.join()));
            return merged;
        });
    }

    /** The partitions with a known, live leader, grouped by its address; closes channels to addresses no longer live. */
    private Map<HostPort, List<TopicPartition>> byLeader(ClusterMetadata snapshot, Set<TopicPartition> wanted) {
        Map<Integer, HostPort> nodes = new HashMap<>();
        for (Node n : snapshot.getNodesList()) {
            if (!n.getHost().isEmpty() && n.getPort() > 0) {
                nodes.put(n.getNodeId(), new HostPort(n.getHost(), n.getPort()));
            }
        }
        forgetChannelsOtherThan(Set.copyOf(nodes.values()));
        Map<HostPort, List<TopicPartition>> byLeader = new HashMap<>();
        for (TopicMetadata topic : snapshot.getTopicsList()) {
            for (PartitionState p : topic.getPartitionsList()) {
                TopicPartition tp = new TopicPartition(topic.getName(), p.getPartition());
                HostPort leader = nodes.get(p.getLeader());
                if (leader != null && wanted.contains(tp)) {
                    byLeader.computeIfAbsent(leader, l -> new ArrayList<>()).add(tp);
                }
            }
        }
        return byLeader;
    }

    /** Asks one leader about its partitions, a bounded number at a time; answers what came back within the deadline. */
    private CompletableFuture<Map<TopicPartition, Long>> askLeader(HostPort leader, List<TopicPartition> partitions, OffsetSpec spec,
                                                                   long timestampMs) {
        StorageGrpc.StorageStub stub;
        try {
            stub = StorageGrpc.newStub(channel(leader));
        } catch (RuntimeException e) {
            LOG.debugf("no channel to %s: %s", leader, e.getMessage());
            return CompletableFuture.completedFuture(Map.of());
        }
        Map<TopicPartition, Long> offsets = new ConcurrentHashMap<>();
        CompletableFuture<Map<TopicPartition, Long>> done = new CompletableFuture<>();
        AtomicInteger next = new AtomicInteger();
        AtomicInteger outstanding = new AtomicInteger(partitions.size());
        AtomicBoolean over = new AtomicBoolean();
        Runnable[] sendNext = new Runnable[1];
        Runnable finishedOne = () -> {
            if (outstanding.decrementAndGet() == 0) {
                done.complete(Map.copyOf(offsets));
            } else {
                sendNext[0].run();
            }
        };
        sendNext[0] = () -> {
            int i = next.getAndIncrement();
            if (i >= partitions.size() || over.get()) {
                return;
            }
            TopicPartition tp = partitions.get(i);
            ListOffsetsRequest request = ListOffsetsRequest.newBuilder().setTopic(tp.topic()).setPartition(tp.partition()).setSpec(spec)
                    .setTimestampMs(timestampMs).build();
            try {
                stub.withDeadlineAfter(CALL_DEADLINE_MS, TimeUnit.MILLISECONDS).listOffsets(request, new StreamObserver<>() {
                    @Override
                    public void onNext(ListOffsetsResponse response) {
                        offsets.put(tp, response.getOffset());
                    }

                    @Override
                    public void onError(Throwable t) {
                        LOG.debugf("ListOffsets %s %s on %s failed: %s", tp, spec, leader, t.getMessage());
                        finishedOne.run();
                    }

                    @Override
                    public void onCompleted() {
                        finishedOne.run();
                    }
                });
            } catch (RuntimeException e) {
                LOG.debugf("ListOffsets %s on %s not sent: %s", tp, leader, e.getMessage());
                finishedOne.run();
            }
        };
        for (int k = 0; k < Math.min(MAX_IN_FLIGHT_PER_LEADER, partitions.size()); k++) {
            sendNext[0].run();
        }
        return done.completeOnTimeout(null, ANSWER_DEADLINE_MS, TimeUnit.MILLISECONDS).thenApply(answer -> {
            if (answer != null) {
                return answer;
            }
            over.set(true);
            LOG.debugf("leader %s answered %d of %d ListOffsets within %d ms", leader, offsets.size(), partitions.size(),
                    ANSWER_DEADLINE_MS);
            return Map.copyOf(offsets);
        });
    }

    private ManagedChannel channel(HostPort address) {
        if (closed) {
            throw new IllegalStateException("closed");
        }
        return channels.computeIfAbsent(address, channelFactory);
    }

    private void forgetChannelsOtherThan(Set<HostPort> live) {
        for (HostPort address : List.copyOf(channels.keySet())) {
            if (!live.contains(address)) {
                ManagedChannel gone = channels.remove(address);
                if (gone != null) {
                    gone.shutdown();
                }
            }
        }
    }

    /** The addresses a channel is open to (for tests and logs). */
    Set<HostPort> channelAddresses() {
        return Set.copyOf(channels.keySet());
    }

    @Override
    public void close() {
        closed = true;
        channels.values().forEach(ManagedChannel::shutdownNow);
        channels.clear();
    }
}
