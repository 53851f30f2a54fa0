package io.strata.client.serialization;

import io.strata.client.StrataException;
import io.strata.proto.v1.ErrorCode;

import java.util.Objects;

/**
 * A key or value that could not be converted to or from record bytes: an object the serializer
 * cannot write, or bytes that are not what the deserializer expects. Detected by the client
 * itself, so it has no Strata reason ({@link ErrorCode#ERROR_CODE_UNSPECIFIED}); its
 * {@link #reasonName()} is {@value #REASON_NAME} and it is never retriable (the same input fails
 * the same way). The message names the topic, the type and what was wrong.
 *
 * <p>Where it surfaces: {@code StrataProducer.send} completes the record's future with it;
 * {@code StrataConsumer.poll} throws it, and the record that failed stays first in line for its
 * partition, so the application can {@code seek} past it.
 */
public class SerializationException extends StrataException {

    /** The {@link #reasonName()} of every serialization failure. */
    public static final String REASON_NAME = "SERIALIZATION_ERROR";

    private final String topic;

    /**
     * @param topic   the topic the record goes to or came from
     * @param message the message for a person; should name the topic and the type
     * @param cause   the underlying failure, or {@code null}
     */
    public SerializationException(String topic, String message, Throwable cause) {
        super(ErrorCode.ERROR_CODE_UNSPECIFIED, REASON_NAME, false, null, message, cause);
        this.topic = Objects.requireNonNull(topic, "topic");
    }

    /** The topic the record goes to or came from. */
    public String topic() {
        return topic;
    }
}
