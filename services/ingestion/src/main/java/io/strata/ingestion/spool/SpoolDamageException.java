package io.strata.ingestion.spool;

import java.io.IOException;

/** A spool file that fails its checks (magic, length, CRC): damage on disk, not a torn write being recovered. */
final class SpoolDamageException extends IOException {

    SpoolDamageException(String message) {
        super(message);
    }
}
