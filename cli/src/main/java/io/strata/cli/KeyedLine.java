package io.strata.cli;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * One stdin line of {@code strata produce} as a record: without a separator the whole line is
 * the value (no key); with one, the key is the text before its first occurrence and the value
 * the rest.
 *
 * @param key   the key bytes (UTF-8), {@code null} when there is none
 * @param value the value bytes (UTF-8)
 */
record KeyedLine(byte[] key, byte[] value) {

    /**
     * Splits {@code line}.
     *
     * @param separator the key separator, or {@code null} for value-only lines
     * @return empty when a separator is given but the line does not contain it
     */
    static Optional<KeyedLine> parse(String line, String separator) {
        if (separator == null) {
            return Optional.of(new KeyedLine(null, utf8(line)));
        }
        int at = line.indexOf(separator);
        if (at < 0) {
            return Optional.empty();
        }
        return Optional.of(new KeyedLine(utf8(line.substring(0, at)), utf8(line.substring(at + separator.length()))));
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
