package io.strata.groups.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.strata.groups.coordinator.GroupException;
import io.strata.proto.StrataError;
import io.strata.proto.v1.ErrorCode;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;

/** The one error mapping: what a client sees for each kind of failure. */
class GroupsGrpcServiceTest {

    private final GroupsGrpcService service = new GroupsGrpcService(() -> {
        throw new IllegalStateException("unused");
    }, () -> Optional.of("10.0.0.7:9092"));

    @Test
    void aGroupExceptionBecomesItsReason() {
        StatusRuntimeException s = service.toStatus(new CompletionException(new GroupException(ErrorCode.UNKNOWN_GROUP, "no group 'g'")),
                "DescribeGroup", "g", "");
        assertThat(StrataError.reasonOf(s)).contains(ErrorCode.UNKNOWN_GROUP);
        assertThat(s.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(s.getStatus().getDescription()).isEqualTo("no group 'g'");
    }

    @Test
    void aDeposedCoordinatorNamesTheActiveInstance() {
        StatusRuntimeException s = service.toStatus(new GroupException(ErrorCode.NOT_COORDINATOR, "deposed"), "Heartbeat", "g", "m");
        assertThat(StrataError.reasonOf(s)).contains(ErrorCode.NOT_COORDINATOR);
        assertThat(s.getTrailers().get(StrataError.LEADER_KEY)).isEqualTo("10.0.0.7:9092");
    }

    @Test
    void aStatusWithAReasonPassesAndAnythingElseIsAnInternalError() {
        StatusRuntimeException invalid = StrataError.exception(ErrorCode.INVALID_REQUEST, "bad");
        assertThat(service.toStatus(invalid, "Heartbeat", "g", "m")).isSameAs(invalid);
        StatusRuntimeException internal = service.toStatus(new IllegalStateException("boom"), "Heartbeat", "payments", "m-1");
        assertThat(StrataError.reasonOf(internal)).contains(ErrorCode.INTERNAL_ERROR);
        assertThat(internal.getStatus().getDescription()).contains("Heartbeat", "payments", "boom").doesNotContain("IllegalStateException");
    }

    @Test
    void theClientHostIsTheRemoteIp() {
        assertThat(ClientAddress.hostOf(new InetSocketAddress("127.0.0.1", 5555))).isEqualTo("127.0.0.1");
        assertThat(ClientAddress.hostOf(null)).isEmpty();
        assertThat(ClientAddress.current()).isEmpty();
    }
}
