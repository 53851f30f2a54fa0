package io.strata.proto;

import com.google.protobuf.ByteOutput;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A {@link ByteBuffer} view of a {@link ByteString} without a copy, backed by an array when the
 * bytes are one array (as a parsed message's bytes fields are). {@link ByteString#asReadOnlyByteBuffer()}
 * hides the array, which sends every array-based consumer of the view down a slow path: the JDK's
 * {@code CRC32C.update(ByteBuffer)} then copies the bytes through a temporary array in 4 KiB steps
 * instead of running its intrinsic over the array.
 *
 * <p>The view is writable only because NIO has no read-only buffer with an accessible array:
 * callers must treat it as read-only, as the ByteString's contract requires.
 */
public final class ByteStringViews {

    private ByteStringViews() {
    }

    /** The bytes as a buffer (position 0, limit = size), array-backed when possible; never a copy. */
    public static ByteBuffer view(ByteString bytes) {
        SingleArray single = new SingleArray();
        try {
            UnsafeByteOperations.unsafeWriteTo(bytes, single);
        } catch (IOException e) {
            throw new IllegalStateException("a ByteString wrote to memory with an I/O error", e);
        }
        return single.buffer != null && !single.split ? single.buffer : bytes.asReadOnlyByteBuffer();
    }

    /** Takes the array of a ByteString that hands over exactly one (a flat one); notes anything else. */
    private static final class SingleArray extends ByteOutput {
        ByteBuffer buffer;
        boolean split;

        private void offer(byte[] value, int offset, int length) {
            if (buffer != null) {
                split = true;
            } else {
                buffer = ByteBuffer.wrap(value, offset, length).slice();
            }
        }

        @Override
        public void write(byte value) {
            split = true;
        }

        @Override
        public void write(byte[] value, int offset, int length) {
            split = true; // the array may be reused by the writer: not ours to keep
        }

        @Override
        public void writeLazy(byte[] value, int offset, int length) {
            offer(value, offset, length);
        }

        @Override
        public void write(ByteBuffer value) {
            split = true;
        }

        @Override
        public void writeLazy(ByteBuffer value) {
            if (value.hasArray()) {
                offer(value.array(), value.arrayOffset() + value.position(), value.remaining());
            } else {
                split = true;
            }
        }
    }
}
