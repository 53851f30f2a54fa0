package io.strata.runtime.coordination;

import io.grpc.Context;
import io.grpc.Status;
import io.strata.proto.StrataError;
import io.strata.proto.v1.DescribeTopicRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.TopicDescription;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Unary calls as futures: the answer, the failure, the deadline, and which failures move to the next instance. */
@Timeout(30)
class CoordinationCallsTest {

    private final FakeCoordination first;
    private final FakeCoordination second;
    private final CoordinationChannels channels;

    CoordinationCallsTest() throws Exception {
        first = new FakeCoordination();
        second = new FakeCoordination();
        channels = new CoordinationChannels(List.of(first.address(), second.address()));
    }

    @AfterEach
    void stop() {
        channels.close();
        first.close();
        second.close();
    }

    private CompletableFuture<TopicDescription> describe(long deadlineMs) {
        return CoordinationCalls.call(channels, deadlineMs,
                (stub, o) -> stub.describeTopic(DescribeTopicRequest.newBuilder().setName("orders").build(), o));
    }

    private void failWith(FakeCoordination instance, RuntimeException failure) {
        instance.describeTopic = (r, o) -> o.onError(failure);
    }

    /** After one call failed on the first instance: whether the next one went to the second. */
    private boolean movedOnAfter(RuntimeException failure) throws Exception {
        first.describes.clear();
        second.describes.clear();
        failWith(first, failure);
        failWith(second, failure);
        assertThatThrownBy(() -> describe(5_000).get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
        assertThatThrownBy(() -> describe(5_000).get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
        assertThat(first.describes.size() + second.describes.size()).isEqualTo(2);
        return second.describes.size() == 1;
    }

    @Test
    void completesWithTheAnswer() throws Exception {
        first.describeTopic = (r, o) -> {
            o.onNext(TopicDescription.newBuilder().setName(r.getName()).build());
            o.onCompleted();
        };
        assertThat(describe(5_000).get(10, TimeUnit.SECONDS).getName()).isEqualTo("orders");
    }

    @Test
    void anUnreachableInstanceOrOneWithoutItsStoreIsLeftBehind() throws Exception {
        assertThat(movedOnAfter(Status.UNAVAILABLE.withDescription("connection refused").asRuntimeException())).isTrue();
    }

    @Test
    void anInstanceWithoutItsMetadataStoreIsLeftBehind() throws Exception {
        assertThat(movedOnAfter(StrataError.exception(ErrorCode.METADATA_UNAVAILABLE, "etcd is down"))).isTrue();
    }

    @Test
    void aRefusalThatAnyInstanceWouldRepeatStaysOnTheSameInstance() throws Exception {
        assertThat(movedOnAfter(StrataError.exception(ErrorCode.NOT_COORDINATOR, "term 3 no longer leads"))).isFalse();
        assertThat(movedOnAfter(StrataError.exception(ErrorCode.INVALID_REQUEST, "bad name"))).isFalse();
    }

    @Test
    void aCallOutlivesTheCancelledContextOfTheCallThatStartedIt() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch answer = new CountDownLatch(1);
        first.describeTopic = (r, o) -> {
            started.countDown();
            try {
                answer.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            o.onNext(TopicDescription.newBuilder().setName(r.getName()).build());
            o.onCompleted();
        };
        // As a role serving a heartbeat: the write it starts is awaited by others after that heartbeat is answered.
        Context.CancellableContext serving = Context.current().withCancellation();
        CompletableFuture<TopicDescription> result = serving.call(() -> describe(5_000));
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        serving.cancel(null);
        answer.countDown();
        assertThat(result.get(10, TimeUnit.SECONDS).getName()).isEqualTo("orders");
    }

    @Test
    void aCallWithoutAnswerFailsAtItsDeadline() {
        assertThatThrownBy(() -> describe(200).get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .satisfies(e -> assertThat(Status.fromThrowable(e.getCause()).getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
    }

    @Test
    void aCallThatCannotStartFailsItsFuture() {
        CompletableFuture<TopicDescription> result = CoordinationCalls.call(channels, 5_000, (stub, o) -> {
            throw new IllegalStateException("no call");
        });
        assertThat(result).isCompletedExceptionally();
    }
}
