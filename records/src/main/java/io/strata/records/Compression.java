package io.strata.records;

/** Compression codecs of a batch's records section; the id is stored in attribute bits 0-2. */
public enum Compression {
    NONE(0, "none"),
    LZ4(3, "lz4");

    private final int id;
    private final String configName;

    Compression(int id, String configName) {
        this.id = id;
        this.configName = configName;
    }

    public int id() {
        return id;
    }

    /** The name used in configs and on the command line ({@code compression.type}). */
    public String configName() {
        return configName;
    }

    /** @throws InvalidBatchException for an id Strata does not support */
    public static Compression fromId(int id) {
        for (Compression c : values()) {
            if (c.id == id) {
                return c;
            }
        }
        throw new InvalidBatchException("unsupported compression codec id " + id + " (supported: 0 none, 3 lz4)");
    }

    /** @throws IllegalArgumentException for an unknown name */
    public static Compression fromName(String name) {
        for (Compression c : values()) {
            if (c.configName.equalsIgnoreCase(name)) {
                return c;
            }
        }
        throw new IllegalArgumentException("unknown compression '" + name + "' (supported: none, lz4)");
    }
}
