package io.strata.runtime;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.strata.proto.StrataError;
import io.strata.proto.v1.ErrorCode;
import org.jboss.logging.Logger;

/**
 * Turns an exception that escapes a service method into {@code INTERNAL} with the
 * {@code INTERNAL_ERROR} reason, and logs it with the method name. Without this grpc-java
 * answers {@code UNKNOWN} with no message. Services report expected failures themselves
 * through {@link StrataError#exception}; a {@link StatusRuntimeException} thrown directly is
 * passed through as it is.
 */
public final class UnexpectedErrorInterceptor implements ServerInterceptor {

    private static final Logger LOG = Logger.getLogger(UnexpectedErrorInterceptor.class);

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        ServerCall.Listener<Q> delegate = next.startCall(call, headers);
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
            @Override
            public void onMessage(Q message) {
                guard(() -> super.onMessage(message));
            }

            @Override
            public void onHalfClose() {
                guard(super::onHalfClose);
            }

            @Override
            public void onReady() {
                guard(super::onReady);
            }

            private void guard(Runnable step) {
                try {
                    step.run();
                } catch (StatusRuntimeException e) {
                    closeQuietly(e.getStatus(), e.getTrailers() != null ? e.getTrailers() : new Metadata());
                } catch (RuntimeException | Error e) {
                    String method = call.getMethodDescriptor().getFullMethodName();
                    LOG.errorf(e, "unexpected failure in %s", method);
                    StatusRuntimeException mapped = StrataError.exception(ErrorCode.INTERNAL_ERROR,
                            "internal error in " + method + ": " + e);
                    closeQuietly(mapped.getStatus(), mapped.getTrailers());
                }
            }

            private void closeQuietly(Status status, Metadata trailers) {
                try {
                    call.close(status, trailers);
                } catch (IllegalStateException alreadyClosed) {
                    // The handler closed the call before failing; nothing more to tell the client.
                }
            }
        };
    }
}
