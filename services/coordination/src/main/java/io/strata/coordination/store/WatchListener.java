package io.strata.coordination.store;

import java.util.List;

/**
 * Receives a watch's events. Both methods run on the store's notifier thread, one call at a
 * time for the whole store: return quickly (hand work to your own executor), and do not wait
 * for another watch's delivery. An exception thrown here is logged and the watch goes on.
 */
@FunctionalInterface
public interface WatchListener {

    /** The matching events of one revision (never empty), in revision order across calls. */
    void onEvents(List<WatchEvent> events);

    /**
     * The watch has ended and will deliver nothing more: the start revision was compacted
     * away (reason COMPACTED), or the store was closed (CLOSED) or failed (FAILED,
     * UNAVAILABLE). Not called after {@link Watch#close()}.
     */
    default void onError(MetadataStoreException error) {
    }
}
