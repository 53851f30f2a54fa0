package io.strata.coordination.grpc;

import io.grpc.stub.StreamObserver;
import io.quarkus.runtime.ShutdownEvent;
import io.strata.coordination.CoordinationException;
import io.strata.coordination.config.CoordinationConfig;
import io.strata.coordination.election.Elections;
import io.strata.coordination.groups.GroupStore;
import io.strata.coordination.metadata.AssignmentFeed;
import io.strata.coordination.metadata.ClusterIdentity;
import io.strata.coordination.metadata.MetadataFeed;
import io.strata.coordination.metadata.MetadataService;
import io.strata.coordination.nodes.NodeRegistry;
import io.strata.coordination.producers.ProducerIdAllocator;
import io.strata.coordination.quotas.QuotaFeed;
import io.strata.coordination.quotas.QuotaService;
import io.strata.coordination.store.MetadataStore;
import io.strata.coordination.topics.RackAwarePlacement;
import io.strata.coordination.topics.TopicService;
import io.strata.proto.v1.AlterTopicConfigRequest;
import io.strata.proto.v1.AssignmentSnapshot;
import io.strata.proto.v1.CampaignRequest;
import io.strata.proto.v1.ClientQuota;
import io.strata.proto.v1.ClusterMetadata;
import io.strata.proto.v1.CoordinationGrpc;
import io.strata.proto.v1.CreateTopicRequest;
import io.strata.proto.v1.DeleteGroupStateRequest;
import io.strata.proto.v1.DeleteGroupStateResponse;
import io.strata.proto.v1.DeleteQuotaRequest;
import io.strata.proto.v1.DeleteQuotaResponse;
import io.strata.proto.v1.DeleteTopicRequest;
import io.strata.proto.v1.DeleteTopicResponse;
import io.strata.proto.v1.DescribeTopicRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.InitProducerIdRequest;
import io.strata.proto.v1.InitProducerIdResponse;
import io.strata.proto.v1.LeadershipEvent;
import io.strata.proto.v1.ListQuotasRequest;
import io.strata.proto.v1.ListQuotasResponse;
import io.strata.proto.v1.ListTopicsRequest;
import io.strata.proto.v1.ListTopicsResponse;
import io.strata.proto.v1.LoadGroupsRequest;
import io.strata.proto.v1.MetadataRequest;
import io.strata.proto.v1.NodeSessionRequest;
import io.strata.proto.v1.NodeSessionResponse;
import io.strata.proto.v1.ObserveRequest;
import io.strata.proto.v1.PartitionState;
import io.strata.proto.v1.PutGroupRecordRequest;
import io.strata.proto.v1.PutGroupRecordResponse;
import io.strata.proto.v1.QuotaSnapshot;
import io.strata.proto.v1.ResignRequest;
import io.strata.proto.v1.ResignResponse;
import io.strata.proto.v1.SetQuotaRequest;
import io.strata.proto.v1.StoreGroupOffsetsRequest;
import io.strata.proto.v1.StoreGroupOffsetsResponse;
import io.strata.proto.v1.StoredGroup;
import io.strata.proto.v1.TopicDescription;
import io.strata.proto.v1.UpdatePartitionStateRequest;
import io.strata.proto.v1.WatchAssignmentsRequest;
import io.strata.proto.v1.WatchMetadataRequest;
import io.strata.proto.v1.WatchQuotasRequest;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.Reception;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The Coordination gRPC service ({@code strata.v1.Coordination}): a thin adapter from the wire
 * to the domain classes ({@link TopicService}, {@link NodeRegistry}, {@link MetadataService},
 * {@link AssignmentFeed}, {@link MetadataFeed}, {@link Elections}, {@link ProducerIdAllocator}, {@link QuotaService},
 * {@link QuotaFeed}, {@link GroupStore}), which hold every
 * rule. Failures become statuses in one place, {@link GrpcErrors}.
 *
 * <p>A CDI {@code @Singleton} {@link io.grpc.BindableService}: the runtime's gRPC server serves
 * it. Calls run on the server's worker threads and may block on the store for a bounded time;
 * streams push from this service's own small scheduler ({@code strata-coordination-*}), which
 * {@link #close()} stops.
 */
@Singleton
public class CoordinationGrpcService extends CoordinationGrpc.CoordinationImplBase implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(CoordinationGrpcService.class);
    /** How long a burst of topic/partition changes is gathered before assignment snapshots go out. */
    static final Duration ASSIGNMENT_COALESCE = Duration.ofMillis(20);
    /** How long a burst of changes is gathered before cluster snapshots (WatchMetadata) go out. */
    static final Duration METADATA_COALESCE = Duration.ofMillis(20);
    /** How long a burst of quota changes is gathered before quota snapshots go out. */
    static final Duration QUOTA_COALESCE = Duration.ofMillis(20);

    private final TopicService topics;
    private final NodeRegistry nodes;
    private final MetadataService metadata;
    private final AssignmentFeed assignments;
    private final MetadataFeed metadataFeed;
    private final Elections elections;
    private final ProducerIdAllocator producerIds;
    private final QuotaService quotas;
    private final QuotaFeed quotaFeed;
    private final GroupStore groups;
    private final ScheduledExecutorService executor;
    private volatile boolean shuttingDown;

    @Inject
    public CoordinationGrpcService(MetadataStore store, CoordinationConfig config) {
        this(store, config, Clock.systemUTC());
    }

    /** For tests and embedding: {@code clock} stamps records (created_ms, registered_ms). */
    public CoordinationGrpcService(MetadataStore store, CoordinationConfig config, Clock clock) {
        AtomicInteger threads = new AtomicInteger();
        this.executor = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "strata-coordination-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.topics = new TopicService(store, config.topicDefaults(), new RackAwarePlacement(new Random()), clock);
        this.nodes = new NodeRegistry(store, config.sessionTimeout(), clock);
        ClusterIdentity identity = new ClusterIdentity(store, clock);
        this.metadata = new MetadataService(store, identity, config.topicDefaults());
        this.assignments = new AssignmentFeed(store, config.topicDefaults(), executor, ASSIGNMENT_COALESCE);
        this.metadataFeed = new MetadataFeed(store, identity, config.topicDefaults(), executor, METADATA_COALESCE);
        this.elections = new Elections(store, executor, config.sessionTimeout());
        this.producerIds = new ProducerIdAllocator(store);
        this.quotas = new QuotaService(store);
        this.quotaFeed = new QuotaFeed(store, executor, QUOTA_COALESCE);
        this.groups = new GroupStore(store);
        LOG.debugf("coordination service ready: %s", config);
    }

    @Override
    public void createTopic(CreateTopicRequest request, StreamObserver<TopicDescription> responses) {
        unary(responses, "CreateTopic " + request.getName(), () -> topics.create(request));
    }

    @Override
    public void deleteTopic(DeleteTopicRequest request, StreamObserver<DeleteTopicResponse> responses) {
        unary(responses, "DeleteTopic " + request.getName(),
                () -> DeleteTopicResponse.newBuilder().setTopicId(topics.delete(request.getName())).build());
    }

    @Override
    public void listTopics(ListTopicsRequest request, StreamObserver<ListTopicsResponse> responses) {
        unary(responses, "ListTopics", () -> ListTopicsResponse.newBuilder().addAllTopics(topics.list()).build());
    }

    @Override
    public void describeTopic(DescribeTopicRequest request, StreamObserver<TopicDescription> responses) {
        unary(responses, "DescribeTopic " + request.getName(), () -> topics.describe(request.getName()));
    }

    @Override
    public void alterTopicConfig(AlterTopicConfigRequest request, StreamObserver<TopicDescription> responses) {
        unary(responses, "AlterTopicConfig " + request.getName(), () -> topics.alterConfig(request));
    }

    @Override
    public void getMetadata(MetadataRequest request, StreamObserver<ClusterMetadata> responses) {
        unary(responses, "GetMetadata", () -> metadata.metadata(request));
    }

    @Override
    public StreamObserver<NodeSessionRequest> nodeSession(StreamObserver<NodeSessionResponse> responses) {
        return new NodeSessionStream(nodes, () -> shuttingDown, responses);
    }

    @Override
    public void watchAssignments(WatchAssignmentsRequest request, StreamObserver<AssignmentSnapshot> responses) {
        String what = "WatchAssignments node " + request.getNodeId();
        LatestValueStream<AssignmentSnapshot> stream = new LatestValueStream<>(responses);
        try {
            if (request.getNodeId() < 0) {
                throw new CoordinationException(ErrorCode.INVALID_REQUEST, "node_id must be >= 0, got " + request.getNodeId());
            }
            var subscription = assignments.subscribe(request.getNodeId(), stream::offer,
                    error -> stream.fail(GrpcErrors.toStatus(error, what)));
            stream.whenCancelled(subscription::close);
        } catch (RuntimeException e) {
            stream.fail(GrpcErrors.toStatus(e, what));
        }
    }

    @Override
    public void watchMetadata(WatchMetadataRequest request, StreamObserver<ClusterMetadata> responses) {
        LatestValueStream<ClusterMetadata> stream = new LatestValueStream<>(responses);
        try {
            var subscription = metadataFeed.subscribe(stream::offer, error -> stream.fail(GrpcErrors.toStatus(error, "WatchMetadata")));
            stream.whenCancelled(subscription::close);
        } catch (RuntimeException e) {
            stream.fail(GrpcErrors.toStatus(e, "WatchMetadata"));
        }
    }

    @Override
    public void updatePartitionState(UpdatePartitionStateRequest request, StreamObserver<PartitionState> responses) {
        unary(responses, "UpdatePartitionState " + request.getState().getTopic() + "-" + request.getState().getPartition(),
                () -> topics.updatePartitionState(request));
    }

    @Override
    public void campaign(CampaignRequest request, StreamObserver<LeadershipEvent> responses) {
        String what = "Campaign " + request.getElection() + " by " + request.getCandidateId();
        LatestValueStream<LeadershipEvent> stream = new LatestValueStream<>(responses);
        try {
            if (request.getSessionTimeoutMs() < 0) {
                throw new CoordinationException(ErrorCode.INVALID_REQUEST, "session_timeout_ms must be >= 0, got "
                        + request.getSessionTimeoutMs());
            }
            Elections.Candidacy candidacy = elections.campaign(request.getElection(), request.getCandidateId(),
                    Duration.ofMillis(request.getSessionTimeoutMs()), new Elections.CampaignListener() {
                        @Override
                        public void elected(LeadershipEvent event) {
                            stream.offer(event);
                        }

                        @Override
                        public void ended() {
                            stream.complete();
                        }

                        @Override
                        public void failed(Throwable error) {
                            stream.fail(GrpcErrors.toStatus(error, what));
                        }
                    });
            stream.whenCancelled(candidacy::close);
        } catch (RuntimeException e) {
            stream.fail(GrpcErrors.toStatus(e, what));
        }
    }

    @Override
    public void resign(ResignRequest request, StreamObserver<ResignResponse> responses) {
        unary(responses, "Resign " + request.getElection() + " by " + request.getCandidateId(), () -> {
            elections.resign(request.getElection(), request.getCandidateId());
            return ResignResponse.getDefaultInstance();
        });
    }

    @Override
    public void observe(ObserveRequest request, StreamObserver<LeadershipEvent> responses) {
        String what = "Observe " + request.getElection();
        LatestValueStream<LeadershipEvent> stream = new LatestValueStream<>(responses);
        try {
            Elections.Observation observation = elections.observe(request.getElection(), stream::offer,
                    error -> stream.fail(GrpcErrors.toStatus(error, what)));
            stream.whenCancelled(observation::close);
        } catch (RuntimeException e) {
            stream.fail(GrpcErrors.toStatus(e, what));
        }
    }

    @Override
    public void initProducerId(InitProducerIdRequest request, StreamObserver<InitProducerIdResponse> responses) {
        unary(responses, "InitProducerId", () -> producerIds.init(request));
    }

    @Override
    public void setQuota(SetQuotaRequest request, StreamObserver<ClientQuota> responses) {
        unary(responses, "SetQuota " + quotaEntity(request.getClientId(), request.getDefaultEntity()), () -> quotas.set(request));
    }

    @Override
    public void deleteQuota(DeleteQuotaRequest request, StreamObserver<DeleteQuotaResponse> responses) {
        unary(responses, "DeleteQuota " + quotaEntity(request.getClientId(), request.getDefaultEntity()),
                () -> DeleteQuotaResponse.newBuilder().setDeleted(quotas.delete(request)).build());
    }

    @Override
    public void listQuotas(ListQuotasRequest request, StreamObserver<ListQuotasResponse> responses) {
        unary(responses, "ListQuotas", () -> ListQuotasResponse.newBuilder().addAllQuotas(quotas.list()).build());
    }

    @Override
    public void watchQuotas(WatchQuotasRequest request, StreamObserver<QuotaSnapshot> responses) {
        LatestValueStream<QuotaSnapshot> stream = new LatestValueStream<>(responses);
        try {
            var subscription = quotaFeed.subscribe(stream::offer, error -> stream.fail(GrpcErrors.toStatus(error, "WatchQuotas")));
            stream.whenCancelled(subscription::close);
        } catch (RuntimeException e) {
            stream.fail(GrpcErrors.toStatus(e, "WatchQuotas"));
        }
    }

    @Override
    public void putGroupRecord(PutGroupRecordRequest request, StreamObserver<PutGroupRecordResponse> responses) {
        unary(responses, "PutGroupRecord " + request.getRecord().getGroupId(),
                () -> PutGroupRecordResponse.newBuilder().setRevision(groups.putRecord(request)).build());
    }

    @Override
    public void storeGroupOffsets(StoreGroupOffsetsRequest request, StreamObserver<StoreGroupOffsetsResponse> responses) {
        unary(responses, "StoreGroupOffsets " + request.getGroupId(), () -> {
            groups.storeOffsets(request);
            return StoreGroupOffsetsResponse.getDefaultInstance();
        });
    }

    @Override
    public void deleteGroupState(DeleteGroupStateRequest request, StreamObserver<DeleteGroupStateResponse> responses) {
        unary(responses, "DeleteGroupState " + request.getGroupId(), () -> {
            groups.delete(request);
            return DeleteGroupStateResponse.getDefaultInstance();
        });
    }

    @Override
    public void loadGroups(LoadGroupsRequest request, StreamObserver<StoredGroup> responses) {
        PacedStream<StoredGroup> stream = new PacedStream<>(responses);
        try {
            stream.send(groups.load());
        } catch (RuntimeException e) {
            stream.fail(GrpcErrors.toStatus(e, "LoadGroups"));
        }
    }

    private static String quotaEntity(String clientId, boolean defaultEntity) {
        return defaultEntity ? "<default>" : "'" + clientId + "'";
    }

    private static <T> void unary(StreamObserver<T> responses, String what, Supplier<T> call) {
        T answer;
        try {
            answer = call.get();
        } catch (RuntimeException e) {
            responses.onError(GrpcErrors.toStatus(e, what));
            return;
        }
        responses.onNext(answer);
        responses.onCompleted();
    }

    /**
     * Marks the start of this instance's shutdown: node session streams cut from now on (the
     * gRPC server stopping) leave their leases to expire instead of revoking them, so the
     * nodes can re-register elsewhere without looking dead. Quarkus calls it on shutdown,
     * before the gRPC server stops.
     */
    public void beginShutdown() {
        shuttingDown = true;
    }

    void onShutdown(@Observes(notifyObserver = Reception.IF_EXISTS) ShutdownEvent event) {
        beginShutdown();
    }

    /**
     * Withdraws this instance's election candidacies (so standbys take over at once), ends the
     * open assignment streams and stops the scheduler. The store is closed by its owner.
     */
    @PreDestroy
    @Override
    public void close() {
        beginShutdown();
        elections.close();
        assignments.close();
        metadataFeed.close();
        quotaFeed.close();
        metadata.close();
        executor.shutdownNow();
    }
}
