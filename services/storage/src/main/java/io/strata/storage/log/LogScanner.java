package io.strata.storage.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * A forward window over {@code [0, end)} of a {@code .log} file for walking batch headers: each
 * {@link #fetch} makes a byte range available in {@link #buffer()} with one positional read of a
 * whole window when it is not there yet. Used by lookups, recovery and index rebuilds; one per
 * walk, confined to the calling thread.
 */
final class LogScanner {

    private final FileChannel channel;
    private final int end;
    private ByteBuffer buffer;
    private long windowStart = -1;
    private int windowLength;

    LogScanner(FileChannel channel, int end, int windowBytes) {
        this.channel = channel;
        this.end = end;
        this.buffer = ByteBuffer.allocate(Math.max(windowBytes, 64));
    }

    /**
     * Makes {@code [position, position + length)} available and returns the index in
     * {@link #buffer()} where {@code position} is; -1 when the range reaches past the end.
     */
    int fetch(int position, int length) throws IOException {
        if (length < 0 || (long) position + length > end) {
            return -1;
        }
        if (windowStart >= 0 && position >= windowStart && (long) position + length <= windowStart + windowLength) {
            return (int) (position - windowStart);
        }
        if (length > buffer.capacity()) {
            buffer = ByteBuffer.allocate(length);
        }
        buffer.clear().limit(Math.min(buffer.capacity(), end - position));
        windowLength = SparseIndex.readFully(channel, buffer, position);
        windowStart = position;
        return windowLength >= length ? 0 : -1;
    }

    ByteBuffer buffer() {
        return buffer;
    }
}
