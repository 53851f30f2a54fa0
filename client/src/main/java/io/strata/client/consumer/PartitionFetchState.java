package io.strata.client.consumer;

import io.strata.client.TopicPartition;
import io.strata.proto.LeasedMessage;
import io.strata.proto.v1.FetchResponse;
import io.strata.records.Record;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;

/**
 * What the consumer knows about one assigned partition: its position (the offset of the next
 * record {@code poll} returns), records fetched but not yet returned, and its FetchStream (or the
 * unary fetch in flight).
 * Touched only by the thread that calls the consumer.
 */
final class PartitionFetchState {

    final TopicPartition tp;
    /** The next offset to return; {@code null} until reset or seek gives one. */
    Long position;
    /** A pending reset (seekToBeginning/End) to apply while {@link #position} is null; null = auto.offset.reset. */
    OffsetResetStrategy pendingReset;
    /** Fetched records at or above {@link #position}, in offset order. */
    final ArrayDeque<Record> buffered = new ArrayDeque<>();
    /** {@code next_offset} of the fetch that filled {@link #buffered}. */
    long bufferedNextOffset = -1;
    /** The unary fetch in flight (to a node that serves no FetchStream). */
    CompletableFuture<LeasedMessage<FetchResponse>> inFlight;
    /** The partition's open FetchStream, or null. */
    PartitionStream stream;
    /** An answer was asked of {@link #stream} and has not come yet. */
    boolean awaitingStream;
    /** Bumped by every seek: answers to older fetches are dropped. */
    int generation;
    long backoffUntilMs;
    int failures;
    long highWatermark = -1;
    /** Paused by the application: not fetched, and poll returns none of its records, until resumed. */
    boolean paused;
    /**
     * Newly assigned to a consumer with a group: the position comes from the group's committed
     * offset (looked up asynchronously), else from {@code auto.offset.reset}. A seek or reset wins.
     */
    boolean awaitingCommitted;

    PartitionFetchState(TopicPartition tp) {
        this.tp = tp;
    }

    void seek(long offset) {
        discard();
        position = offset;
        pendingReset = null;
        awaitingCommitted = false;
    }

    void requestReset(OffsetResetStrategy strategy) {
        discard();
        position = null;
        pendingReset = strategy;
        awaitingCommitted = false;
    }

    /** Drops buffered records and the fetch in flight (or the open stream). */
    void discard() {
        if (inFlight != null) {
            inFlight.cancel(false);
            inFlight = null;
        }
        closeStream("the consumer moved on (seek, reset, revocation or close)");
        buffered.clear();
        bufferedNextOffset = -1;
        generation++;
        backoffUntilMs = 0;
        failures = 0;
    }

    /**
     * Stops fetching; buffered records stay for after {@code resume}. The stream is closed: what
     * its leader pushed ahead would sit unread in the connection's HTTP/2 window, which the
     * node's other partitions share, and could stall them for as long as this one is paused.
     */
    void pause() {
        paused = true;
        closeStream("paused");
    }

    /** Cancels the open stream, if any; an answer of it still queued is dropped. */
    void closeStream(String why) {
        if (stream != null) {
            stream.cancel(why);
            stream = null;
            awaitingStream = false;
        }
    }

    /** Whether a fetch (or a stream's next answer) has been asked for and has not come yet. */
    boolean awaitingAnswer() {
        return inFlight != null || awaitingStream;
    }

    boolean fetchable(long nowMs) {
        return position != null && !paused && buffered.isEmpty() && !awaitingAnswer() && nowMs >= backoffUntilMs;
    }

    /** Moves the position past a returned record, and past the fetch's end once the buffer is empty. */
    void advanceAfter(Record returned) {
        position = returned.offset() + 1;
        if (buffered.isEmpty() && bufferedNextOffset > position) {
            position = bufferedNextOffset;
        }
    }
}
