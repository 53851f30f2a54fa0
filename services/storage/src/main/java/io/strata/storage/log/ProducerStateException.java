package io.strata.storage.log;

/**
 * A produce request refused by the partition's producer state before anything was written
 * (see {@link ProducerStateTable}). The {@link Kind} says which rule it broke; the storage
 * service turns each kind into the wire reason of the same name. Not retriable: sending the
 * same batches again fails the same way.
 */
public final class ProducerStateException extends RuntimeException {

    /** Which rule the request broke. */
    public enum Kind {
        /** A batch's epoch is older than the producer's current one: a newer incarnation owns the id. */
        INVALID_PRODUCER_EPOCH,
        /** A batch's first sequence is not the one after the producer's last (a gap or a too-old retry). */
        OUT_OF_ORDER_SEQUENCE,
        /** Every batch was written before, but their original offsets are not one range to answer with. */
        DUPLICATE_SEQUENCE,
        /** The request mixes batches written before with new ones, so no single answer fits it. */
        MIXED_DUPLICATES
    }

    private final Kind kind;

    ProducerStateException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
