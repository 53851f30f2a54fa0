package io.strata.groups.coordinator;

import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * What a member subscribes to: topic names, or a Java regular expression that must match a whole
 * topic name ({@link java.util.regex.Matcher#matches()}). Immutable; equal when the names and the
 * expression's text are.
 */
final class Subscription {

    private final SortedSet<String> topicNames;
    private final String regex;
    /** Null for a name subscription, and for a stored expression this JVM cannot compile (it matches nothing). */
    private final Pattern pattern;

    private Subscription(SortedSet<String> topicNames, String regex, Pattern pattern) {
        this.topicNames = Collections.unmodifiableSortedSet(topicNames);
        this.regex = regex;
        this.pattern = pattern;
    }

    static Subscription ofNames(Collection<String> names) {
        return new Subscription(new TreeSet<>(names), "", null);
    }

    /** @throws PatternSyntaxException when {@code regex} does not compile */
    static Subscription ofRegex(String regex) {
        return new Subscription(new TreeSet<>(), regex, Pattern.compile(regex));
    }

    /** A stored subscription: never refused (an expression that no longer compiles matches nothing). */
    static Subscription restored(Collection<String> names, String regex) {
        if (regex.isEmpty()) {
            return ofNames(names);
        }
        Pattern pattern;
        try {
            pattern = Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            pattern = null;
        }
        return new Subscription(new TreeSet<>(), regex, pattern);
    }

    SortedSet<String> topicNames() {
        return topicNames;
    }

    /** The expression, or "" for a subscription by names. */
    String regex() {
        return regex;
    }

    /** The existing topics (keys of {@code topics}) this subscription selects, sorted. */
    SortedSet<String> resolve(Map<String, Integer> topics) {
        SortedSet<String> resolved = new TreeSet<>();
        if (regex.isEmpty()) {
            for (String name : topicNames) {
                if (topics.containsKey(name)) {
                    resolved.add(name);
                }
            }
        } else if (pattern != null) {
            for (String topic : topics.keySet()) {
                if (pattern.matcher(topic).matches()) {
                    resolved.add(topic);
                }
            }
        }
        return resolved;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Subscription other && topicNames.equals(other.topicNames) && regex.equals(other.regex);
    }

    @Override
    public int hashCode() {
        return Objects.hash(topicNames, regex);
    }

    @Override
    public String toString() {
        return regex.isEmpty() ? "topics " + topicNames : "regex '" + regex + "'";
    }
}
