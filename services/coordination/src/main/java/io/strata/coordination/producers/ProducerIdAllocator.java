package io.strata.coordination.producers;

import io.strata.coordination.CoordinationException;
import io.strata.coordination.layout.Keys;
import io.strata.coordination.layout.StoredValues;
import io.strata.coordination.store.Compare;
import io.strata.coordination.store.KeyValue;
import io.strata.coordination.store.MetadataStore;
import io.strata.coordination.store.Op;
import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.InitProducerIdRequest;
import io.strata.proto.v1.InitProducerIdResponse;
import io.strata.proto.v1.ProducerIdBlock;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Producer ids for idempotent producers. {@code producer-ids/next} holds the next free id
 * (compare-and-set, so ids are unique across coordination instances); a producer with a
 * transactional id keeps its id under {@code producer-ids/transactional/<id>} and gets the
 * epoch bumped on every init, which fences its older incarnations. When the epoch would
 * pass {@link Short#MAX_VALUE} (the batch header's field is 16 bits) the producer gets a new
 * id at epoch 0, as Kafka does. Thread-safe.
 */
public final class ProducerIdAllocator {

    public static final int MAX_TRANSACTIONAL_ID_LENGTH = 1024;
    private static final int ATTEMPTS = 20;

    private final MetadataStore store;

    public ProducerIdAllocator(MetadataStore store) {
        this.store = store;
    }

    /**
     * @throws CoordinationException INVALID_REQUEST (transactional id too long), CAS_FAILED
     *     (lost {@value #ATTEMPTS} races in a row)
     */
    public InitProducerIdResponse init(InitProducerIdRequest request) {
        String transactionalId = request.getTransactionalId();
        if (transactionalId.length() > MAX_TRANSACTIONAL_ID_LENGTH) {
            throw new CoordinationException(ErrorCode.INVALID_REQUEST, "transactional_id is " + transactionalId.length()
                    + " characters; the limit is " + MAX_TRANSACTIONAL_ID_LENGTH);
        }
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            Optional<InitProducerIdResponse> done = transactionalId.isEmpty() ? tryAllocate(null) : tryTransactional(transactionalId);
            if (done.isPresent()) {
                return done.get();
            }
        }
        throw new CoordinationException(ErrorCode.CAS_FAILED, "producer id allocation raced with " + ATTEMPTS
                + " others in a row; retry");
    }

    private Optional<InitProducerIdResponse> tryTransactional(String transactionalId) {
        String key = Keys.transactionalId(transactionalId);
        Optional<KeyValue> existing = store.get(key);
        if (existing.isEmpty()) {
            return tryAllocate(key);
        }
        InitProducerIdResponse current = StoredValues.parse(existing.get(), InitProducerIdResponse.parser());
        if (current.getProducerEpoch() >= Short.MAX_VALUE) {
            return tryAllocate(key, existing.get());
        }
        InitProducerIdResponse next = current.toBuilder().setProducerEpoch(current.getProducerEpoch() + 1).build();
        boolean ok = store.txn(List.of(Compare.modRevision(key, existing.get().modRevision())),
                List.of(Op.put(key, next.toByteArray()))).succeeded();
        return ok ? Optional.of(next) : Optional.empty();
    }

    private Optional<InitProducerIdResponse> tryAllocate(String transactionalKey) {
        return tryAllocate(transactionalKey, null);
    }

    /** Takes the next id; with a transactional key, binds it there in the same transaction. */
    private Optional<InitProducerIdResponse> tryAllocate(String transactionalKey, KeyValue replacing) {
        Optional<KeyValue> next = store.get(Keys.PRODUCER_ID_NEXT);
        long id = next.map(kv -> StoredValues.parse(kv, ProducerIdBlock.parser()).getNextProducerId()).orElse(0L);
        InitProducerIdResponse answer = InitProducerIdResponse.newBuilder().setProducerId(id).setProducerEpoch(0).build();
        List<Compare> compares = new ArrayList<>();
        compares.add(Compare.modRevision(Keys.PRODUCER_ID_NEXT, next.map(KeyValue::modRevision).orElse(0L)));
        List<Op> ops = new ArrayList<>();
        ops.add(Op.put(Keys.PRODUCER_ID_NEXT, ProducerIdBlock.newBuilder().setNextProducerId(id + 1).build().toByteArray()));
        if (transactionalKey != null) {
            compares.add(replacing == null ? Compare.absent(transactionalKey) : Compare.modRevision(transactionalKey, replacing.modRevision()));
            ops.add(Op.put(transactionalKey, answer.toByteArray()));
        }
        return store.txn(compares, ops).succeeded() ? Optional.of(answer) : Optional.empty();
    }
}
