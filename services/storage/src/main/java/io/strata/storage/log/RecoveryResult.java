package io.strata.storage.log;

/**
 * What opening a log had to do: how many segments it recovered (walked past the recovery point),
 * how many bytes it validated (read in full and CRC-checked) and how many it cut off as torn or
 * corrupt. A log opened after a clean shutdown reports zero validated bytes.
 *
 * @param segmentsRecovered segments walked because they hold data past the recovery point
 * @param bytesValidated    bytes past the recovery point read and CRC-checked
 * @param bytesTruncated    bytes removed: the torn tail plus any later segments
 */
public record RecoveryResult(int segmentsRecovered, long bytesValidated, long bytesTruncated) {

    static final RecoveryResult NONE = new RecoveryResult(0, 0, 0);
}
