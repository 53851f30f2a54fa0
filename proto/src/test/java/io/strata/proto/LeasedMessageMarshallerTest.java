package io.strata.proto;

import com.google.protobuf.ByteString;
import io.grpc.KnownLength;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCalls;
import io.strata.proto.v1.FetchResponse;
import io.strata.proto.v1.IngestionGrpc;
import io.strata.proto.v1.ProduceStreamRequest;
import io.strata.proto.v1.ProduceStreamResponse;
import io.strata.proto.v1.PublishRequest;
import io.strata.proto.v1.StorageGrpc;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LeasedMessageMarshallerTest {

    private final ParseBufferPool pool = new ParseBufferPool(1024, 4096, 2);
    private final LeasedMessageMarshaller<FetchResponse> marshaller =
            new LeasedMessageMarshaller<>(FetchResponse.getDefaultInstance(), pool);

    /** How gRPC hands over a received message: its length is known. */
    private static final class Received extends ByteArrayInputStream implements KnownLength {
        Received(byte[] bytes) {
            super(bytes);
        }
    }

    private static FetchResponse answer(int batchBytes) {
        byte[] batches = new byte[batchBytes];
        new Random(batchBytes).nextBytes(batches);
        return FetchResponse.newBuilder().setHighWatermark(42).setNextOffset(7).setBatches(ByteString.copyFrom(batches)).build();
    }

    @Test
    void aLargeAnswerIsParsedIntoAPooledArrayThatItsBatchesAlias() {
        FetchResponse sent = answer(3000);

        LeasedMessage<FetchResponse> leased = marshaller.parse(new Received(sent.toByteArray()));

        assertThat(leased.message()).isEqualTo(sent);
        ByteBuffer view = ByteStringViews.view(leased.message().getBatches());
        byte[] array = view.array();
        assertThat(array.length).isEqualTo(4096); // the pool's typical size, not a copy of the field
        leased.close();
        assertThat(pool.freeCount()).isEqualTo(1);
        assertThat(pool.acquire(3500)).isSameAs(array);
    }

    @Test
    void theNextAnswerReusesTheArrayOfAClosedOne() {
        LeasedMessage<FetchResponse> first = marshaller.parse(new Received(answer(2000).toByteArray()));
        byte[] array = ByteStringViews.view(first.message().getBatches()).array();
        first.close();

        FetchResponse sent = answer(2500);
        LeasedMessage<FetchResponse> second = marshaller.parse(new Received(sent.toByteArray()));

        assertThat(ByteStringViews.view(second.message().getBatches()).array()).isSameAs(array);
        assertThat(second.message()).isEqualTo(sent);
    }

    @Test
    void aSmallAnswerOwnsItsBytesAndClosingItKeepsNothing() {
        FetchResponse sent = answer(100);

        LeasedMessage<FetchResponse> leased = marshaller.parse(new Received(sent.toByteArray()));
        leased.close();

        assertThat(pool.freeCount()).isZero();
        assertThat(LeasedMessage.unpooled(sent).message()).isSameAs(sent);
    }

    @Test
    void aClosedMessageCannotBeReadAgainAndASecondCloseGivesNothingBackTwice() {
        LeasedMessage<FetchResponse> leased = marshaller.parse(new Received(answer(3000).toByteArray()));
        leased.close();
        leased.close();

        assertThat(pool.freeCount()).isEqualTo(1);
        assertThatThrownBy(leased::message).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("went back to the pool");
    }

    @Test
    void aTruncatedAnswerFailsAsInternalAndItsArrayGoesBack() {
        byte[] bytes = answer(3000).toByteArray();
        byte[] truncated = Arrays.copyOf(bytes, bytes.length - 10);

        assertThatThrownBy(() -> marshaller.parse(new Received(truncated)))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL))
                .hasMessageContaining("could not parse a FetchResponse");
        assertThat(pool.freeCount()).isEqualTo(1);
    }

    @Test
    void aStreamOfUnknownLengthIsReadWhole() {
        FetchResponse sent = answer(3000);
        InputStream unknownLength = new ByteArrayInputStream(sent.toByteArray());

        LeasedMessage<FetchResponse> leased = marshaller.parse(unknownLength);

        assertThat(leased.message()).isEqualTo(sent);
        leased.close();
        assertThat(pool.freeCount()).isZero();
    }

    @Test
    void anEmptyAnswerIsTheDefaultMessage() {
        assertThat(marshaller.parse(new Received(new byte[0])).message()).isEqualTo(FetchResponse.getDefaultInstance());
    }

    @Test
    void thePoolKeepsAtMostItsLimitOfFreeArrays() {
        pool.release(new byte[4096]);
        pool.release(new byte[4096]);
        pool.release(new byte[4096]);

        assertThat(pool.freeCount()).isEqualTo(2);
        assertThat(pool.acquire(5000)).hasSize(5000); // none free is large enough: a new one
        assertThat(pool.freeCount()).isEqualTo(2);
    }

    @Test
    void aMessageSentThroughTheMarshallerIsTheSameBytes() throws Exception {
        FetchResponse sent = answer(50);

        byte[] streamed = marshaller.stream(LeasedMessage.unpooled(sent)).readAllBytes();

        assertThat(streamed).isEqualTo(sent.toByteArray());
    }

    @Test
    void thePoolKeepsAtMostItsLimitOfFreeBytesSoLargeArraysAreNotPinned() {
        ParseBufferPool bounded = new ParseBufferPool(1024, 4096, 10, 10_000);
        bounded.release(new byte[4096]);
        bounded.release(new byte[8192]); // would pass 10,000 bytes: left to the collector
        bounded.release(new byte[4096]);

        assertThat(bounded.freeCount()).isEqualTo(2);
        assertThat(bounded.freeBytes()).isEqualTo(8192);
        bounded.acquire(4000);
        assertThat(bounded.freeBytes()).isEqualTo(4096);
    }

    @Test
    void aServerDefinitionGetsLeasedRequestsForOneMethodAndKeepsTheOthers() {
        ServerServiceDefinition generated = new StorageGrpc.StorageImplBase() { }.bindService();
        ServerCallHandler<LeasedMessage<ProduceStreamRequest>, ProduceStreamResponse> handler =
                ServerCalls.asyncBidiStreamingCall(response -> null);

        ServerServiceDefinition leased = LeasedMessageMarshaller.withLeasedRequests(generated,
                StorageGrpc.getProduceStreamMethod(), ProduceStreamRequest.getDefaultInstance(), pool, handler);

        assertThat(leased.getServiceDescriptor().getName()).isEqualTo(generated.getServiceDescriptor().getName());
        assertThat(leased.getServiceDescriptor().getSchemaDescriptor())
                .isSameAs(generated.getServiceDescriptor().getSchemaDescriptor());
        assertThat(leased.getMethods()).hasSameSizeAs(generated.getMethods());
        ServerMethodDefinition<?, ?> stream = leased.getMethod(StorageGrpc.getProduceStreamMethod().getFullMethodName());
        assertThat(stream.getServerCallHandler()).isSameAs(handler);
        assertThat(stream.getMethodDescriptor().getRequestMarshaller()).isInstanceOf(LeasedMessageMarshaller.class);
        assertThat(leased.getMethod(StorageGrpc.getProduceMethod().getFullMethodName()))
                .isSameAs(generated.getMethod(StorageGrpc.getProduceMethod().getFullMethodName()));
    }

    @Test
    void aMethodTheServiceDoesNotHaveIsRefused() {
        ServerServiceDefinition generated = new StorageGrpc.StorageImplBase() { }.bindService();
        assertThatThrownBy(() -> LeasedMessageMarshaller.withLeasedRequests(generated, IngestionGrpc.getPublishStreamMethod(),
                PublishRequest.getDefaultInstance(), pool, ServerCalls.asyncClientStreamingCall(response -> null)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PublishStream");
    }
}
