package io.strata.coordination.store;

/** A running watch. */
public interface Watch extends AutoCloseable {

    /**
     * Stops the watch. After it returns no new delivery starts; one already running on the
     * notifier thread may finish. Idempotent; never throws.
     */
    @Override
    void close();
}
