package io.strata.coordination.store;

import java.nio.charset.StandardCharsets;
import java.util.Comparator;

/** Key order and key rules shared by the store implementations. */
final class KeyOrder {

    /**
     * Code point order, which equals etcd's UTF-8 byte order ({@link String#compareTo}
     * compares UTF-16 units and differs for characters above U+FFFF).
     */
    static final Comparator<String> COMPARATOR = KeyOrder::compare;

    private KeyOrder() {
    }

    static int compare(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return i < a.length() ? 1 : j < b.length() ? -1 : 0;
    }

    static void checkKey(String key) {
        if (key == null) {
            throw new NullPointerException("key");
        }
        if (key.isEmpty()) {
            throw new IllegalArgumentException("a key must not be empty");
        }
        int bytes = key.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MetadataStore.MAX_KEY_BYTES) {
            throw new IllegalArgumentException("key of " + bytes + " bytes is longer than the limit of "
                    + MetadataStore.MAX_KEY_BYTES + ": " + key.substring(0, 64) + "...");
        }
    }

    static void checkPrefix(String prefix) {
        if (prefix == null) {
            throw new NullPointerException("prefix");
        }
    }
}
