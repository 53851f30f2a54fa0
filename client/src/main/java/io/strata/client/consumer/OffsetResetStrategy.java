package io.strata.client.consumer;

import java.util.Locale;

/** Where a partition without a valid position starts ({@code auto.offset.reset}). */
public enum OffsetResetStrategy {
    /** At the log start offset. */
    EARLIEST,
    /** At the log end offset: only records written from now on. */
    LATEST,
    /** Nowhere: {@link StrataConsumer#poll} fails instead. */
    NONE;

    /** Parses {@code earliest}, {@code latest} or {@code none}. */
    public static OffsetResetStrategy fromName(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid value '" + name + "' for " + ConsumerConfig.AUTO_OFFSET_RESET
                    + ": expected earliest, latest or none");
        }
    }
}
