package io.strata.ingestion.publish;

import io.strata.proto.v1.ErrorCode;
import io.strata.proto.v1.PublishResponse;
import io.strata.proto.v1.PublishResult;
import io.strata.proto.v1.PublishResultRun;

import java.util.List;

/**
 * The results of one request's records, in request order, as the producer's callbacks fill
 * them: kept in arrays instead of a message per record, and answered either per record or, when
 * the client asked for it ({@code result_runs}) and every record succeeded, as runs of
 * consecutive offsets ({@link #answer}) — a request's records mostly land in a few runs, so the
 * answer shrinks from one message per record to a handful.
 *
 * <p>Slots are filled from any thread, each once; they are read only after the last was filled
 * (the filler's countdown, an atomic, orders the writes before the read).
 */
public final class PublishResults {

    private final int[] partitions;
    private final long[] offsets;
    private final long[] timestamps;
    /** Null until a record fails; then the failed records' results by index. Guarded by this. */
    private PublishResult[] failures;

    public PublishResults(int size) {
        this.partitions = new int[size];
        this.offsets = new long[size];
        this.timestamps = new long[size];
    }

    /** Results built elsewhere (the spool's), one per record. */
    public static PublishResults of(List<PublishResult> results) {
        PublishResults out = new PublishResults(results.size());
        for (int i = 0; i < results.size(); i++) {
            PublishResult r = results.get(i);
            if (r.getError() == ErrorCode.ERROR_CODE_UNSPECIFIED) {
                out.succeeded(i, r.getPartition(), r.getOffset(), r.getTimestampMs());
            } else {
                out.failed(i, r);
            }
        }
        return out;
    }

    public int size() {
        return partitions.length;
    }

    /** Record {@code index} landed in {@code partition} at {@code offset} (-1: not known yet) with {@code timestampMs}. */
    public void succeeded(int index, int partition, long offset, long timestampMs) {
        partitions[index] = partition;
        offsets[index] = offset;
        timestamps[index] = timestampMs;
    }

    /** Record {@code index} failed; {@code failure} carries its error code and message. */
    public synchronized void failed(int index, PublishResult failure) {
        if (failures == null) {
            failures = new PublishResult[partitions.length];
        }
        failures[index] = failure;
    }

    private synchronized PublishResult failure(int index) {
        return failures == null ? null : failures[index];
    }

    private synchronized boolean anyFailed() {
        return failures != null;
    }

    /**
     * The answer to the requests whose results these are, in order: runs when {@code runs} was
     * asked for and every record succeeded, else one result per record.
     */
    public static PublishResponse answer(List<PublishResults> parts, boolean runs) {
        PublishResponse.Builder answer = PublishResponse.newBuilder();
        if (runs && parts.stream().noneMatch(PublishResults::anyFailed)) {
            PublishResultRun.Builder run = null;
            long nextOffset = 0;
            for (PublishResults p : parts) {
                for (int i = 0; i < p.size(); i++) {
                    long offset = p.offsets[i];
                    if (run != null && run.getPartition() == p.partitions[i] && run.getTimestampMs() == p.timestamps[i]
                            && offset == nextOffset) {
                        run.setCount(run.getCount() + 1);
                    } else {
                        if (run != null) {
                            answer.addRuns(run);
                        }
                        run = PublishResultRun.newBuilder().setPartition(p.partitions[i]).setFirstOffset(offset)
                                .setTimestampMs(p.timestamps[i]).setCount(1);
                    }
                    nextOffset = offset < 0 ? offset : offset + 1;
                }
            }
            if (run != null) {
                answer.addRuns(run);
            }
            return answer.build();
        }
        for (PublishResults p : parts) {
            for (int i = 0; i < p.size(); i++) {
                PublishResult failed = p.failure(i);
                answer.addResults(failed != null ? failed : PublishResult.newBuilder().setPartition(p.partitions[i])
                        .setOffset(p.offsets[i]).setTimestampMs(p.timestamps[i]).build());
            }
        }
        return answer.build();
    }
}
