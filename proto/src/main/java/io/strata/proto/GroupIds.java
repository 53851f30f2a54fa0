package io.strata.proto;

/**
 * Consumer-group id rules: 1..249 characters, not "." or "..", no '/', no control characters
 * and no unpaired surrogate. Coordination stores a group under {@code groups/<group id>/}, so an
 * id must be a single key segment: '/' would let one group's prefix reach into another's, and
 * an unpaired surrogate has no UTF-8 form (it would be stored as '?', merging two ids). Any other
 * character is allowed (Kafka allows any group id; these are the ones a key cannot hold).
 */
public final class GroupIds {
    public static final int MAX_LENGTH = 249;

    private GroupIds() {
    }

    /** An error message for an invalid group id, or null when the id is valid. */
    public static String validate(String groupId) {
        if (groupId == null || groupId.isEmpty()) {
            return "group id must not be empty";
        }
        if (groupId.equals(".") || groupId.equals("..")) {
            return "group id cannot be '.' or '..'";
        }
        if (groupId.length() > MAX_LENGTH) {
            return "group id is " + groupId.length() + " characters; the limit is " + MAX_LENGTH;
        }
        for (int i = 0; i < groupId.length(); i++) {
            char c = groupId.charAt(i);
            if (c == '/') {
                return "group id '" + groupId + "' contains '/'";
            }
            if (Character.isISOControl(c)) {
                return "group id contains control character U+" + String.format("%04X", (int) c) + " at index " + i;
            }
            if (Character.isHighSurrogate(c) && i + 1 < groupId.length() && Character.isLowSurrogate(groupId.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return "group id contains an unpaired surrogate U+" + String.format("%04X", (int) c) + " at index " + i;
            }
        }
        return null;
    }
}
