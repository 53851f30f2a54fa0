package io.strata.groups.store;

import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.strata.proto.v1.LoadGroupsRequest;
import io.strata.proto.v1.StoredGroup;
import io.strata.runtime.coordination.CoordinationCalls;
import io.strata.runtime.coordination.CoordinationChannels;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Reads every stored group from coordination (LoadGroups: one message per group, all read at one
 * store revision), handing each to {@code each} as it arrives, on gRPC's thread, one at a time.
 */
public final class GroupStateLoader {

    /** How long a whole load may take. */
    static final long DEADLINE_MS = 120_000;

    private GroupStateLoader() {
    }

    /**
     * Completes with the number of groups read once the stream ends; fails when the stream fails
     * or {@code each} throws (the stream is cancelled then). Every future completes.
     */
    public static CompletableFuture<Integer> load(CoordinationChannels channels, Consumer<StoredGroup> each) {
        CompletableFuture<Integer> result = new CompletableFuture<>();
        try {
            channels.stub().withDeadlineAfter(DEADLINE_MS, TimeUnit.MILLISECONDS).loadGroups(LoadGroupsRequest.getDefaultInstance(),
                    new ClientResponseObserver<LoadGroupsRequest, StoredGroup>() {
                        private ClientCallStreamObserver<LoadGroupsRequest> call;
                        private int count;

                        @Override
                        public void beforeStart(ClientCallStreamObserver<LoadGroupsRequest> requestStream) {
                            call = requestStream;
                        }

                        @Override
                        public void onNext(StoredGroup group) {
                            if (result.isDone()) {
                                return;
                            }
                            try {
                                each.accept(group);
                                count++;
                            } catch (RuntimeException e) {
                                result.completeExceptionally(e);
                                call.cancel("loading group '" + group.getGroupId() + "' failed", e);
                            }
                        }

                        @Override
                        public void onError(Throwable t) {
                            if (CoordinationCalls.instanceUnusable(t)) {
                                channels.failed();
                            }
                            result.completeExceptionally(t);
                        }

                        @Override
                        public void onCompleted() {
                            result.complete(count);
                        }
                    });
        } catch (RuntimeException e) {
            result.completeExceptionally(e);
        }
        return result;
    }
}
