package io.strata.cli;

/** What {@code --output} selects: readable text (the default) or JSON on stdout. */
public enum OutputFormat {
    /** Tables and plain lines for people. */
    text,
    /** JSON only: one document (or one object per line when consuming). */
    json
}
