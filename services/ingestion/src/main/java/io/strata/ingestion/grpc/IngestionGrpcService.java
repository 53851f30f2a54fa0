package io.strata.ingestion.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.strata.ingestion.IngestionNode;
import io.strata.ingestion.config.IngestionConfig;
import io.strata.ingestion.publish.PublishValidation;
import io.strata.proto.v1.IngestionGrpc;
import io.strata.proto.v1.PublishRequest;
import io.strata.proto.v1.PublishResponse;
import io.strata.proto.v1.PublishResult;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The Ingestion service: {@code Publish} answers one request once each of its records is
 * acknowledged per its {@code acks} (or failed); {@code PublishStream} takes many requests and
 * answers once, after the client's last, with the results of all records in order. A malformed
 * request is refused whole before anything of it is sent ({@link PublishValidation}); in a
 * stream that ends the stream, and the requests before it stay sent.
 */
@Singleton
public class IngestionGrpcService extends IngestionGrpc.IngestionImplBase {

    private static final Logger LOG = Logger.getLogger(IngestionGrpcService.class);

    private final IngestionNode node;
    private final IngestionConfig config;

    public IngestionGrpcService(IngestionNode node, IngestionConfig config) {
        this.node = node;
        this.config = config;
    }

    @Override
    public void publish(PublishRequest request, StreamObserver<PublishResponse> responses) {
        CompletableFuture<List<PublishResult>> results;
        try {
            results = submit(request);
        } catch (StatusRuntimeException e) {
            responses.onError(e);
            return;
        }
        results.whenComplete((r, failure) -> respond(responses, r, failure));
    }

    @Override
    public StreamObserver<PublishRequest> publishStream(StreamObserver<PublishResponse> responses) {
        return new StreamObserver<>() {
            private final List<CompletableFuture<List<PublishResult>>> pending = new ArrayList<>();
            private boolean failed;

            @Override
            public void onNext(PublishRequest request) {
                if (failed) {
                    return;
                }
                try {
                    pending.add(submit(request));
                } catch (StatusRuntimeException e) {
                    failed = true;
                    responses.onError(e);
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
                    List<PublishResult> all = new ArrayList<>();
                    if (failure == null) {
                        pending.forEach(f -> all.addAll(f.join()));
                    }
                    respond(responses, all, failure);
                });
            }
        };
    }

    private CompletableFuture<List<PublishResult>> submit(PublishRequest request) {
        PublishValidation.validate(request, config.maxRequestRecords());
        return node.publisher().publish(request.getRecordsList(), request.getAcks());
    }

    private static void respond(StreamObserver<PublishResponse> responses, List<PublishResult> results, Throwable failure) {
        try {
            if (failure != null) {
                responses.onError(Status.INTERNAL.withDescription("publishing failed: " + failure).asRuntimeException());
                return;
            }
            responses.onNext(PublishResponse.newBuilder().addAllResults(results).build());
            responses.onCompleted();
        } catch (RuntimeException e) {
            LOG.debugf("Publish answer not delivered (the client went away): %s", e.getMessage());
        }
    }
}
