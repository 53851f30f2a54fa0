package io.strata.storage.log;

/**
 * An offset-index entry made absolute: the batch whose base offset is {@code offset} starts at
 * byte {@code position} of its segment's {@code .log} file.
 */
record OffsetPosition(long offset, int position) {
}
