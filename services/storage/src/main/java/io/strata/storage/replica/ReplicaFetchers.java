package io.strata.storage.replica;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.strata.proto.v1.Node;
import io.strata.proto.v1.PartitionState;
import io.strata.storage.log.TopicPartition;
import io.strata.storage.partition.HostedPartition;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The follower side of replication on this node: after every assignment snapshot, each partition
 * this node follows is fetched by the {@link ReplicaFetcher} of its leader at its current epoch;
 * fetchers of leaders that lead nothing here any more are closed.
 */
public final class ReplicaFetchers implements AutoCloseable {

    private final int localNode;
    private final ScheduledExecutorService timer;
    private final int maxWaitMs;
    private final int maxBytes;
    private final Map<Integer, ReplicaFetcher> fetchers = new HashMap<>();
    private boolean closed;

    public ReplicaFetchers(int localNode, ScheduledExecutorService timer, int maxWaitMs, int maxBytes) {
        this.localNode = localNode;
        this.timer = timer;
        this.maxWaitMs = maxWaitMs;
        this.maxBytes = maxBytes;
    }

    /** Makes the fetchers follow exactly the partitions led elsewhere, by leaders among {@code liveNodes}. */
    public synchronized void apply(Collection<HostedPartition> partitions, List<Node> liveNodes) {
        if (closed) {
            return;
        }
        Map<Integer, Node> nodes = new HashMap<>();
        liveNodes.forEach(n -> nodes.put(n.getNodeId(), n));
        Map<Integer, Map<TopicPartition, Integer>> wanted = new HashMap<>();
        Map<Integer, List<HostedPartition>> toFollow = new HashMap<>();
        for (HostedPartition p : partitions) {
            PartitionState s = p.state();
            if (s.getLeader() >= 0 && s.getLeader() != localNode && s.getReplicasList().contains(localNode)
                    && nodes.containsKey(s.getLeader())) {
                wanted.computeIfAbsent(s.getLeader(), id -> new HashMap<>()).put(p.topicPartition(), s.getLeaderEpoch());
                toFollow.computeIfAbsent(s.getLeader(), id -> new ArrayList<>()).add(p);
            }
        }
        for (var it = fetchers.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            Node now = nodes.get(e.getKey());
            if (now == null || !sameAddress(now, e.getValue().leader()) || !wanted.containsKey(e.getKey())) {
                e.getValue().close();
                it.remove();
            } else {
                e.getValue().retain(wanted.get(e.getKey()));
            }
        }
        toFollow.forEach((leaderId, list) -> {
            ReplicaFetcher f = fetchers.computeIfAbsent(leaderId, id -> newFetcher(nodes.get(id)));
            for (HostedPartition p : list) {
                f.follow(p, p.state().getLeaderEpoch());
            }
        });
    }

    private ReplicaFetcher newFetcher(Node leader) {
        ManagedChannel channel = NettyChannelBuilder.forAddress(leader.getHost(), leader.getPort()).usePlaintext()
                .maxInboundMessageSize(64 * 1024 * 1024).build();
        return new ReplicaFetcher(localNode, leader, channel, Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "strata-replica-fetcher-" + localNode + "-from-" + leader.getNodeId());
            t.setDaemon(true);
            return t;
        }), timer, maxWaitMs, maxBytes);
    }

    private static boolean sameAddress(Node a, Node b) {
        return a.getHost().equals(b.getHost()) && a.getPort() == b.getPort();
    }

    @Override
    public synchronized void close() {
        closed = true;
        fetchers.values().forEach(ReplicaFetcher::close);
        fetchers.clear();
    }
}
