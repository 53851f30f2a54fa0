package io.strata.runtime;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.strata.proto.StrataError;
import io.strata.proto.v1.CoordinationGrpc;
import io.strata.proto.v1.DescribeTopicRequest;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.ListTopicsRequest;
import io.strata.proto.v1.ListTopicsResponse;
import io.strata.proto.v1.TopicDescription;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

@Timeout(30)
class UnexpectedErrorInterceptorTest {

    private Server server;
    private ManagedChannel channel;

    /** A service that fails in the two ways a handler can. */
    static final class Failing extends CoordinationGrpc.CoordinationImplBase {
        @Override
        public void listTopics(ListTopicsRequest request, StreamObserver<ListTopicsResponse> response) {
            throw new IllegalStateException("boom");
        }

        @Override
        public void describeTopic(DescribeTopicRequest request, StreamObserver<TopicDescription> response) {
            throw StrataError.exception(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "no topic x");
        }
    }

    @BeforeEach
    void start() throws Exception {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(ServerInterceptors.intercept(new Failing(), new UnexpectedErrorInterceptor()))
                .build().start();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
    }

    @AfterEach
    void stop() {
        channel.shutdownNow();
        server.shutdownNow();
    }

    @Test
    void anEscapedExceptionBecomesInternalWithTheMethodAndReason() {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> CoordinationGrpc.newBlockingStub(channel).listTopics(ListTopicsRequest.getDefaultInstance()));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
        assertThat(e.getStatus().getDescription()).contains("ListTopics").contains("boom");
        assertThat(StrataError.reasonOf(e)).contains(ErrorCode.INTERNAL_ERROR);
    }

    @Test
    void aThrownStrataErrorKeepsItsStatusAndReason() {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> CoordinationGrpc.newBlockingStub(channel).describeTopic(DescribeTopicRequest.getDefaultInstance()));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(StrataError.reasonOf(e)).contains(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    }
}
