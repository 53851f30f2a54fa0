package io.strata.ingestion.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.strata.ingestion.IngestionNode;
import io.strata.ingestion.config.IngestionConfig;
import io.strata.ingestion.publish.PublishResults;
import io.strata.ingestion.publish.PublishValidation;
import io.strata.ingestion.quota.PublishQuotas;
import io.strata.proto.StrataError;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.IngestionGrpc;
import io.strata.proto.v1.PublishAck;
import io.strata.proto.v1.PublishRequest;
import io.strata.proto.v1.PublishResponse;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The Ingestion service: {@code Publish} answers one request once each of its records is
 * acknowledged per its {@code acks} (or failed), or with {@code ack=spooled} once they are fsynced
 * in the instance's spool; {@code PublishStream} takes many requests and
 * answers once, after the client's last, with the results of all records in order. A malformed
 * request is refused whole before anything of it is sent ({@link PublishValidation}); in a
 * stream that ends the stream, and the requests before it stay sent. Client ids over their
 * producer quota are slowed, never failed ({@link PublishQuotas}).
 */
@Singleton
public class IngestionGrpcService extends IngestionGrpc.IngestionImplBase {

    private static final Logger LOG = Logger.getLogger(IngestionGrpcService.class);

    private final IngestionNode node;
    private final IngestionConfig config;
    private final PublishQuotas quotas;

    public IngestionGrpcService(IngestionNode node, IngestionConfig config, PublishQuotas quotas) {
        this.node = node;
        this.config = config;
        this.quotas = quotas;
    }

    @Override
    public void publish(PublishRequest request, StreamObserver<PublishResponse> responses) {
        quotas.publish(request, responses, this::publishAdmitted);
    }

    /** Runs on a gRPC thread, or later on the call pool when a quota held the call: it answers every failure itself. */
    private void publishAdmitted(PublishRequest request, StreamObserver<PublishResponse> responses) {
        CompletableFuture<PublishResults> results;
        try {
            results = submit(request);
        } catch (StatusRuntimeException e) {
            responses.onError(e);
            return;
        } catch (RuntimeException e) {
            responses.onError(unexpected(e));
            return;
        }
        results.whenComplete((r, failure) -> respond(responses, failure == null ? List.of(r) : List.of(),
                request.getResultRuns(), failure));
    }

    @Override
    public StreamObserver<PublishRequest> publishStream(StreamObserver<PublishResponse> responses) {
        return quotas.publishStream(responses, this::openStream);
    }

    private StreamObserver<PublishRequest> openStream(StreamObserver<PublishResponse> responses) {
        return new StreamObserver<>() {
            private final List<CompletableFuture<PublishResults>> pending = new ArrayList<>();
            private boolean runs;
            private boolean failed;

            @Override
            public void onNext(PublishRequest request) {
                if (failed) {
                    return;
                }
                try {
                    runs |= request.getResultRuns();
                    pending.add(submit(request));
                } catch (StatusRuntimeException e) {
                    failed = true;
                    responses.onError(e);
                } catch (RuntimeException e) {
                    failed = true;
                    responses.onError(unexpected(e));
                }
            }

            @Override
            public void onError(Throwable t) {
                // The client went away; what it sent is on its way to the leaders regardless.
                LOG.debugf("PublishStream ended by the client: %s", t.getMessage());
            }

            @Override
            public void onCompleted() {
                if (failed) {
                    return;
                }
                CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).whenComplete((done, failure) -> {
                    List<PublishResults> all = new ArrayList<>();
                    if (failure == null) {
                        pending.forEach(f -> all.add(f.join()));
                    }
                    respond(responses, all, runs, failure);
                });
            }
        };
    }

    /** A bug or an unexpected failure: logged, and answered INTERNAL naming this instance. */
    private StatusRuntimeException unexpected(RuntimeException e) {
        LOG.errorf(e, "ingestion %s: a publish failed unexpectedly", node.instanceId());
        return StrataError.exception(ErrorCode.INTERNAL_ERROR, "ingestion " + node.instanceId() + ": publishing failed: " + e);
    }

    private CompletableFuture<PublishResults> submit(PublishRequest request) {
        PublishValidation.validate(request, config.maxRequestRecords());
        if (request.getAck() == PublishAck.PUBLISH_ACK_SPOOLED) {
            return node.spool().publish(request.getRecordsList(), request.getSerializedSize()).thenApply(PublishResults::of);
        }
        return node.publisher().publish(request.getRecordsList(), request.getAcks());
    }

    /** Answers with the results of the call's requests, in order: as runs when the client asked and every record succeeded. */
    private static void respond(StreamObserver<PublishResponse> responses, List<PublishResults> results, boolean runs,
                                Throwable failure) {
        try {
            if (failure != null) {
                // A request refused whole after it was queued (e.g. a full spool) carries its own status.
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
                responses.onError(cause instanceof StatusRuntimeException refused ? refused
                        : Status.INTERNAL.withDescription("publishing failed: " + failure).asRuntimeException());
                return;
            }
            responses.onNext(PublishResults.answer(results, runs));
            responses.onCompleted();
        } catch (RuntimeException e) {
            LOG.debugf("Publish answer not delivered (the client went away): %s", e.getMessage());
        }
    }
}
