package io.strata.coordination.layout;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import io.strata.coordination.store.KeyValue;

/** Decodes the protobuf values of the {@link Keys key layout}. */
public final class StoredValues {

    private StoredValues() {
    }

    /**
     * Parses a stored value.
     *
     * @throws IllegalStateException when the bytes are not a valid message: the store holds
     *     something coordination never wrote (a bug or foreign writer), reported as INTERNAL_ERROR
     */
    public static <T extends Message> T parse(KeyValue kv, Parser<T> parser) {
        try {
            return parser.parseFrom(kv.value());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("metadata key '" + kv.key() + "' (revision " + kv.modRevision()
                    + ") does not hold a valid value: " + e.getMessage(), e);
        }
    }
}
