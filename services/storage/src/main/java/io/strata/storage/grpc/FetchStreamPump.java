package io.strata.storage.grpc;

import io.grpc.stub.ServerCallStreamObserver;
import io.strata.proto.StrataError;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.FetchResponse;
import io.strata.storage.StorageNode;
import io.strata.storage.partition.HostedPartition;

/**
 * Pushes a partition's batches down a FetchStream while the client's HTTP/2 window has room
 * ({@code isReady}); when the window is full it stops until {@code onReady}, and when it has
 * caught up with the log it waits for the next append. It ends with NOT_LEADER or
 * FENCED_LEADER_EPOCH once this node no longer leads the partition at the epoch the stream was
 * opened at, and with UNKNOWN_TOPIC_OR_PARTITION once the partition left this node (the client
 * reopens it at the new leader). Each message counts against the client
 * id's consumer quota; when it leaves the client throttled, the pump pauses for the throttle
 * time (the message says how long). One pump step runs at a time.
 */
final class FetchStreamPump {

    private final StorageGrpcService service;
    private final HostedPartition partition;
    private final StorageGrpcService.FetchSpec spec;
    private final ServerCallStreamObserver<FetchResponse> response;
    private final StorageNode node;
    /** The leader epoch the stream was opened at: it ends (FENCED_LEADER_EPOCH / NOT_LEADER) once that changes. */
    private final int leaderEpoch;
    private final Object lock = new Object();
    private long offset;
    private boolean finished;
    private boolean paused;
    private Runnable deregister = () -> { };

    FetchStreamPump(StorageGrpcService service, HostedPartition partition, StorageGrpcService.FetchSpec spec,
                    ServerCallStreamObserver<FetchResponse> response, StorageNode node, int leaderEpoch) {
        this.service = service;
        this.partition = partition;
        this.spec = spec;
        this.response = response;
        this.node = node;
        this.leaderEpoch = leaderEpoch;
        this.offset = spec.offset();
    }

    void start() {
        response.setOnCancelHandler(() -> {
            synchronized (lock) {
                finished = true;
                deregister.run();
            }
        });
        response.setOnReadyHandler(this::pump);
        node.fetchExecutor().execute(this::pump);
    }

    private void resume() {
        synchronized (lock) {
            paused = false;
        }
        pump();
    }

    private void pump() {
        synchronized (lock) {
            try {
                while (!finished && !paused && response.isReady()) {
                    long seen = partition.waiters().signals();
                    // A stream outlives changes a unary fetch would meet on its next request: the partition
                    // moved off this node (its replica removed, the topic deleted), or its leadership moved.
                    if (node.partitions().require(partition.topicPartition().topic(), partition.topicPartition().partition(),
                            node.nodeId()) != partition) {
                        throw StrataError.exception(ErrorCode.NOT_LEADER, partition.topicPartition().dirName()
                                + " was removed from node " + node.nodeId() + " and hosted again since this stream "
                                + "opened: refresh metadata and reopen it");
                    }
                    partition.requireLeader(node.nodeId(), true, leaderEpoch);
                    FetchResponse r = service.read(partition, offset, spec.maxBytes());
                    if (r.getBatches().isEmpty()) {
                        deregister.run();
                        deregister = partition.waiters().register(() -> node.fetchExecutor().execute(this::pump), seen);
                        return;
                    }
                    FetchResponse sent = service.charged(spec, r);
                    response.onNext(sent);
                    offset = r.getNextOffset();
                    if (sent.getThrottleTimeMs() > 0) {
                        paused = true;
                        node.quotas().later(sent.getThrottleTimeMs(), this::resume);
                    }
                }
            } catch (RuntimeException e) {
                finished = true;
                deregister.run();
                if (!response.isCancelled()) {
                    response.onError(StorageErrors.toStatus(e, partition.topicPartition().dirName()));
                }
            }
        }
    }
}
