package io.strata.client.internal;

import io.grpc.Channel;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.strata.client.StrataException;
import io.strata.proto.StrataError;
import io.strata.proto.v1.CoordinationGrpc;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.LeadershipEvent;
import io.strata.proto.v1.ObserveRequest;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The active instance of a singleton role (the replication controller, the groups coordinator):
 * the leader of a coordination election, whose candidate id is the instance's {@code host:port}.
 * It is found with the first event of coordination's {@code Observe} (bootstrap addresses tried in
 * turn when one cannot be reached) and cached until a call fails: a standby's refusal
 * ({@code NOT_CONTROLLER}, {@code NOT_COORDINATOR}) that names the active instance in its
 * {@code strata-leader} trailer moves the cache there; any other refusal to serve and an
 * unreachable instance clear it, so the next call observes the election again. Thread-safe.
 */
public final class ActiveInstance {

    private final String election;
    private final ErrorCode notActive;
    private final List<Address> bootstrap;
    private final ChannelPool channels;
    private final long requestTimeoutMs;
    private volatile Address cached;
    private volatile int preferredBootstrap;

    /**
     * @param election         the coordination election, e.g. {@code "groups"}
     * @param notActive        the reason a standby of this role answers ({@code NOT_COORDINATOR}, ...)
     * @param bootstrap        coordination addresses
     * @param channels         the client's channels
     * @param requestTimeoutMs deadline of the Observe call and of {@link #call}
     */
    public ActiveInstance(String election, ErrorCode notActive, List<Address> bootstrap, ChannelPool channels,
                          long requestTimeoutMs) {
        if (bootstrap.isEmpty()) {
            throw new IllegalArgumentException("no bootstrap address");
        }
        this.election = election;
        this.notActive = notActive;
        this.bootstrap = List.copyOf(bootstrap);
        this.channels = channels;
        this.requestTimeoutMs = requestTimeoutMs;
    }

    /** The election's name. */
    public String election() {
        return election;
    }

    /**
     * The active instance: the cached one, else the election's current leader (blocking, up to
     * the request timeout).
     *
     * @throws StrataException the {@code notActive} reason (retriable) when the election has no
     *                         leader now; the coordination failure when no bootstrap address answered
     */
    public Address address() {
        Address a = cached;
        if (a == null) {
            a = observe();
            cached = a;
        }
        return a;
    }

    /** The channel to {@link #address()}. */
    public Channel channel(Address address) {
        return channels.channel(address);
    }

    /**
     * Learns from a failed call to {@code tried}: a refusal naming another instance makes that
     * one the next target; a refusal naming none, or an unreachable instance, clears the cache.
     *
     * @param failure the call's failure as converted by {@link Errors}, its cause the gRPC exception
     * @return whether another instance is known to be active (retry it at once)
     */
    public boolean onFailure(Address tried, StrataException failure) {
        if (failure.reason() == notActive) {
            Optional<Address> named = namedLeader(failure);
            if (named.isPresent() && !named.get().equals(tried)) {
                cached = named.get();
                return true;
            }
            clearIf(tried);
            return false;
        }
        boolean unreachable = failure.reason() == ErrorCode.ERROR_CODE_UNSPECIFIED && failure.retriable();
        if (unreachable || failure.reason() == ErrorCode.REQUEST_TIMED_OUT) {
            clearIf(tried);
        }
        return false;
    }

    private void clearIf(Address tried) {
        if (tried.equals(cached)) {
            cached = null;
        }
    }

    /**
     * One blocking call to the active instance (as an admin does it): a standby's refusal naming
     * another instance is followed once — a refusal changed nothing, so repeating is safe;
     * nothing else is retried.
     *
     * @param method e.g. {@code channel -> GroupsGrpc.newBlockingStub(channel).withDeadlineAfter(..).listGroups(req)}
     * @throws StrataException the call's failure with the server's reason
     */
    public <R> R call(Function<Channel, R> method) {
        for (int attempt = 0; ; attempt++) {
            Address address = address();
            try {
                return method.apply(channels.channel(address));
            } catch (StatusRuntimeException e) {
                StrataException failure = Errors.toStrataException(e, address.toString());
                if (!onFailure(address, failure) || attempt > 0) {
                    throw failure;
                }
            }
        }
    }

    /** The per-call deadline to put on stubs, in ms. */
    public long requestTimeoutMs() {
        return requestTimeoutMs;
    }

    /** The election's leader now, from the first event of Observe. */
    private Address observe() {
        StrataException last = null;
        int start = preferredBootstrap;
        for (int i = 0; i < bootstrap.size(); i++) {
            int index = (start + i) % bootstrap.size();
            Address address = bootstrap.get(index);
            LeadershipEvent event;
            Context.CancellableContext observing = Context.current().withCancellation();
            Context previous = observing.attach();
            try {
                event = CoordinationGrpc.newBlockingStub(channels.channel(address))
                        .withDeadlineAfter(requestTimeoutMs, TimeUnit.MILLISECONDS)
                        .observe(ObserveRequest.newBuilder().setElection(election).build())
                        .next();
            } catch (StatusRuntimeException e) {
                last = Errors.toStrataException(e, address.toString());
                if (last.reason() == ErrorCode.ERROR_CODE_UNSPECIFIED && last.retriable()) {
                    continue; // unreachable: try the next bootstrap address
                }
                throw last;
            } finally {
                observing.detach(previous);
                observing.cancel(null); // Observe streams every change: one event is all we want
            }
            preferredBootstrap = index;
            if (event.getLeaderId().isEmpty()) {
                throw new StrataException(notActive, "no " + election + " instance is active right now; retry shortly");
            }
            try {
                return Address.parse(event.getLeaderId());
            } catch (IllegalArgumentException e) {
                throw new StrataException(ErrorCode.INTERNAL_ERROR, "the leader of election '" + election
                        + "' is not a host:port: '" + event.getLeaderId() + "'", e);
            }
        }
        throw last;
    }

    /** The {@code host:port} a refusal names in its {@code strata-leader} trailer, if any. */
    static Optional<Address> namedLeader(Throwable failure) {
        Metadata trailers = Status.trailersFromThrowable(failure); // walks the cause chain
        String named = trailers == null ? null : trailers.get(StrataError.LEADER_KEY);
        if (named == null || named.isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Address.parse(named));
        } catch (IllegalArgumentException notAnAddress) {
            return Optional.empty();
        }
    }
}
