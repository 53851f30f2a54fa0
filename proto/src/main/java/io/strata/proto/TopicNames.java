package io.strata.proto;

/** Topic naming rules (Kafka's): 1..249 characters of [a-zA-Z0-9._-], not "." or "..". */
public final class TopicNames {
    public static final int MAX_LENGTH = 249;

    private TopicNames() {
    }

    /** An error message for an invalid name, or null when the name is valid. */
    public static String validate(String name) {
        if (name == null || name.isEmpty()) {
            return "topic name must not be empty";
        }
        if (name.equals(".") || name.equals("..")) {
            return "topic name cannot be '.' or '..'";
        }
        if (name.length() > MAX_LENGTH) {
            return "topic name is " + name.length() + " characters; the limit is " + MAX_LENGTH;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '_' || c == '-';
            if (!ok) {
                return "topic name '" + name + "' contains '" + c + "'; allowed are ASCII letters, digits, '.', '_' and '-'";
            }
        }
        return null;
    }
}
