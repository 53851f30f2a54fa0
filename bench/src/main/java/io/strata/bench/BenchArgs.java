package io.strata.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The {@code --key value} / {@code --key=value} command line of a load generator in this module,
 * with typed reads that fail with the option's name. Unknown options are refused.
 */
final class BenchArgs {

    private final Map<String, String> values;

    private BenchArgs(Map<String, String> values) {
        this.values = values;
    }

    /** A tool's option parser: IllegalArgumentException for a bad command line. */
    interface Parser<T> {
        T parse(String[] args) throws Exception;
    }

    /**
     * The prologue of every tool's {@code main}: prints {@code usage} and answers null for
     * {@code --help}/{@code -h}; on a bad command line prints the error and the usage and exits 2.
     */
    static <T> T parseOrExit(String[] args, String usage, Parser<T> parse) throws Exception {
        if (List.of(args).contains("--help") || List.of(args).contains("-h")) {
            System.out.print(usage);
            return null;
        }
        try {
            return parse.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("Error: " + e.getMessage());
            System.err.print(usage);
            System.exit(2);
            return null;
        }
    }

    /**
     * @param known the option names without {@code --}
     * @throws IllegalArgumentException for an unknown option, a missing value or a stray argument
     */
    static BenchArgs parse(Set<String> known, String... args) {
        Map<String, String> values = new TreeMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + arg + "'");
            }
            int eq = arg.indexOf('=');
            String key;
            if (eq > 0) {
                key = arg.substring(2, eq);
                values.put(key, arg.substring(eq + 1));
            } else if (i + 1 < args.length) {
                key = arg.substring(2);
                values.put(key, args[++i]);
            } else {
                throw new IllegalArgumentException("option " + arg + " needs a value");
            }
            if (!known.contains(key)) {
                throw new IllegalArgumentException("unknown option --" + key);
            }
        }
        return new BenchArgs(values);
    }

    String string(String key, String fallback) {
        return values.getOrDefault(key, fallback);
    }

    String required(String key) {
        String v = values.get(key);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("--" + key + " is required");
        }
        return v;
    }

    /** A number in [min, max]. */
    long number(String key, long fallback, long min, long max) {
        String v = values.get(key);
        long n;
        try {
            n = v == null ? fallback : Long.parseLong(v.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + key + " needs a number, got '" + v + "'");
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException("--" + key + " must be in [" + min + ", " + max + "], got " + n);
        }
        return n;
    }

    /** {@code KEY=VALUE,KEY=VALUE} (empty: none). */
    Map<String, String> pairs(String key) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String kv : values.getOrDefault(key, "").split(",")) {
            if (kv.isBlank()) {
                continue;
            }
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--" + key + " takes KEY=VALUE,..., got '" + kv + "'");
            }
            out.put(kv.substring(0, eq).strip(), kv.substring(eq + 1).strip());
        }
        return Map.copyOf(out);
    }

    /** A comma-separated list (empty entries dropped). */
    List<String> list(String key, String fallback) {
        return List.of(values.getOrDefault(key, fallback).split("[, ]+")).stream().filter(s -> !s.isBlank()).toList();
    }
}
