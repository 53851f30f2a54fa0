package io.strata.coordination.election;

import io.strata.coordination.CoordinationException;
import io.strata.coordination.layout.Keys;
import io.strata.coordination.layout.StoredValues;
import io.strata.coordination.store.Compare;
import io.strata.coordination.store.KeyValue;
import io.strata.coordination.store.MetadataStore;
import io.strata.proto.v1.ElectionCandidate;
import io.strata.proto.v1.ElectionFence;
import io.strata.proto.v1.ErrorCode;

import java.util.Objects;
import java.util.Optional;

/**
 * Fencing of a singleton role's writes by its election term ({@link ElectionFence}): a write is
 * applied only while the candidate that won {@code term} still leads {@code election}, checked
 * in the write's own transaction.
 *
 * <p>The term is the create revision of the winner's key {@code elections/<name>/<lease hex>}
 * ({@link Elections}: the live key with the lowest create revision leads). {@link #guard} reads
 * the election and finds the key with that create revision; if it does not lead now, the writer
 * was deposed (or never led) and the write is refused. Otherwise it answers
 * {@code createRevision(key) == term}, which the caller puts into its transaction: the key
 * still existing at commit time means it still leads there too, since a key created later has a
 * higher create revision and cannot overtake it. A resignation or lease expiry between the read
 * and the commit fails the compare, and the caller reports {@link #deposed}. Thread-safe
 * (stateless over the store).
 */
public final class ElectionFencing {

    private final MetadataStore store;
    private final ErrorCode notLeading;
    private final String writer;

    /**
     * @param notLeading the reason a deposed writer gets (NOT_COORDINATOR for groups)
     * @param writer     what the writer is called in messages, e.g. "groups instance"
     */
    public ElectionFencing(MetadataStore store, ErrorCode notLeading, String writer) {
        this.store = Objects.requireNonNull(store, "store");
        this.notLeading = Objects.requireNonNull(notLeading, "notLeading");
        this.writer = Objects.requireNonNull(writer, "writer");
    }

    /**
     * Checks that {@code fence}'s term leads its election now.
     *
     * @param present whether the request carried a fence at all
     * @return the compare that holds while it still leads: add it to the write's transaction
     * @throws CoordinationException INVALID_REQUEST for a missing fence, a bad election name or
     *     term; {@code notLeading} when the term does not lead the election now
     */
    public Compare guard(boolean present, ElectionFence fence) {
        if (!present) {
            throw new CoordinationException(ErrorCode.INVALID_REQUEST, "fence is required: the election and the term this "
                    + writer + " won (LeadershipEvent.term)");
        }
        if (!Elections.NAME.matcher(fence.getElection()).matches()) {
            throw new CoordinationException(ErrorCode.INVALID_REQUEST, "fence.election must be 1..128 characters of"
                    + " [a-zA-Z0-9._-], got '" + fence.getElection() + "'");
        }
        if (fence.getTerm() <= 0) {
            throw new CoordinationException(ErrorCode.INVALID_REQUEST, "fence.term must be > 0 (the term of the"
                    + " LeadershipEvent that elected this " + writer + "), got " + fence.getTerm());
        }
        Optional<KeyValue> leader = Elections.leaderOf(store.getPrefix(Keys.electionPrefix(fence.getElection())).kvs());
        if (leader.isEmpty() || leader.get().createRevision() != fence.getTerm()) {
            throw notLeading(fence, leader);
        }
        return Compare.createRevision(leader.get().key(), fence.getTerm());
    }

    /**
     * The failure of a write whose {@link #guard} compare failed: the term lost its election
     * between the check and the commit. Reads the election again to name the active leader.
     */
    public CoordinationException deposed(ElectionFence fence) {
        return notLeading(fence, Elections.leaderOf(store.getPrefix(Keys.electionPrefix(fence.getElection())).kvs()));
    }

    private CoordinationException notLeading(ElectionFence fence, Optional<KeyValue> leader) {
        String active = leader.map(kv -> "candidate '" + StoredValues.parse(kv, ElectionCandidate.parser()).getCandidateId()
                + "' (term " + kv.createRevision() + ")").orElse("none (no candidate leads it now)");
        return new CoordinationException(notLeading, "this " + writer + " (term " + fence.getTerm()
                + ") does not lead election " + fence.getElection() + " now; the active one is " + active);
    }
}
