package io.strata.storage.log;

import java.util.Objects;
import java.util.Optional;

/**
 * A partition of a topic; names its directory {@code <topic>-<partition>} inside a log dir.
 *
 * @param topic     topic name: 1 to 249 of {@code [a-zA-Z0-9._-]}, not "." or ".." (Kafka's rule; keeps
 *                  directory names and the space-separated checkpoint files unambiguous)
 * @param partition partition number, {@code >= 0}
 */
public record TopicPartition(String topic, int partition) {

    public TopicPartition {
        Objects.requireNonNull(topic, "topic");
        if (!isLegalTopic(topic)) {
            throw new IllegalArgumentException("invalid topic name: '" + topic + "'");
        }
        if (partition < 0) {
            throw new IllegalArgumentException("negative partition " + partition + " of topic " + topic);
        }
    }

    private static boolean isLegalTopic(String topic) {
        if (topic.isEmpty() || topic.length() > 249 || topic.equals(".") || topic.equals("..")) {
            return false;
        }
        for (int i = 0; i < topic.length(); i++) {
            char c = topic.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '_' || c == '-';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** The partition's directory name, {@code <topic>-<partition>}. */
    public String dirName() {
        return topic + "-" + partition;
    }

    /**
     * Parses a directory name written by {@link #dirName()}, splitting at the last {@code '-'}
     * (topic names may contain dashes). Empty when the name is not of that form, for example a
     * directory being deleted ({@code <topic>-<partition>.<id>-delete}).
     */
    public static Optional<TopicPartition> parseDirName(String name) {
        int dash = name.lastIndexOf('-');
        if (dash <= 0 || dash == name.length() - 1) {
            return Optional.empty();
        }
        String digits = name.substring(dash + 1);
        for (int i = 0; i < digits.length(); i++) {
            if (!Character.isDigit(digits.charAt(i))) {
                return Optional.empty();
            }
        }
        try {
            return Optional.of(new TopicPartition(name.substring(0, dash), Integer.parseInt(digits)));
        } catch (IllegalArgumentException e) { // NumberFormatException included: overflow
            return Optional.empty();
        }
    }

    @Override
    public String toString() {
        return dirName();
    }
}
