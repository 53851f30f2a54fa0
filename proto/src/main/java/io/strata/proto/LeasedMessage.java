package io.strata.proto;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A parsed message whose bytes fields may alias an array of a {@link ParseBufferPool}: valid until
 * {@link #close()}, which gives the array back. Nothing taken from the message (a bytes field, a
 * view of one) may be used after the close; copy what must outlive it.
 *
 * @param <T> the message type
 */
public final class LeasedMessage<T> implements AutoCloseable {

    private final T message;
    private final ParseBufferPool pool;
    private final byte[] array;
    private final AtomicBoolean closed = new AtomicBoolean();

    LeasedMessage(T message, ParseBufferPool pool, byte[] array) {
        this.message = message;
        this.pool = pool;
        this.array = array;
    }

    /** A message that owns its bytes: closing it does nothing. */
    public static <T> LeasedMessage<T> unpooled(T message) {
        return new LeasedMessage<>(message, null, null);
    }

    /**
     * The message.
     *
     * @throws IllegalStateException after {@link #close()}: its bytes may already belong to another message
     */
    public T message() {
        if (closed.get()) {
            throw new IllegalStateException("the message was closed: its buffer went back to the pool");
        }
        return message;
    }

    /** Gives the buffer back to the pool (once; later calls do nothing). */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true) && pool != null) {
            pool.release(array);
        }
    }
}
