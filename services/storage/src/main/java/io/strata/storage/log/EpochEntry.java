package io.strata.storage.log;

/**
 * One line of the leader-epoch checkpoint: leader epoch {@code epoch} wrote its first batch at
 * {@code startOffset}.
 */
public record EpochEntry(int epoch, long startOffset) {
}
