package io.strata.proto;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class GroupIdsTest {

    @Test
    void idsOfAnyPrintableCharactersUpTo249AreValid() {
        assertNull(GroupIds.validate("g"));
        assertNull(GroupIds.validate("orders-consumers.v2_eu"));
        assertNull(GroupIds.validate("billing team: invoices (é, 日本, \uD83D\uDE00)"));
        assertNull(GroupIds.validate("..."));
        assertNull(GroupIds.validate("x".repeat(249)));
    }

    @Test
    void emptyAndNullAreRefused() {
        assertEquals("group id must not be empty", GroupIds.validate(""));
        assertEquals("group id must not be empty", GroupIds.validate(null));
    }

    @Test
    void dotAndDotDotAreRefused() {
        assertEquals("group id cannot be '.' or '..'", GroupIds.validate("."));
        assertEquals("group id cannot be '.' or '..'", GroupIds.validate(".."));
    }

    @Test
    void idsLongerThan249CharactersAreRefused() {
        assertEquals("group id is 250 characters; the limit is 249", GroupIds.validate("x".repeat(250)));
    }

    @Test
    void aSlashIsRefusedBecauseTheIdIsOneKeySegment() {
        assertEquals("group id 'a/b' contains '/'", GroupIds.validate("a/b"));
        assertEquals("group id 'g/' contains '/'", GroupIds.validate("g/"));
    }

    @Test
    void controlCharactersAreRefusedWithTheirCodeAndIndex() {
        assertEquals("group id contains control character U+000A at index 1", GroupIds.validate("a\nb"));
        assertEquals("group id contains control character U+0000 at index 0", GroupIds.validate("\0"));
        assertEquals("group id contains control character U+007F at index 2", GroupIds.validate("ab\u007F"));
        assertEquals("group id contains control character U+0085 at index 0", GroupIds.validate("\u0085x"));
    }

    @Test
    void unpairedSurrogatesAreRefusedBecauseTheyHaveNoUtf8Form() {
        assertEquals("group id contains an unpaired surrogate U+D83D at index 1", GroupIds.validate("a\uD83D"));
        assertEquals("group id contains an unpaired surrogate U+DE00 at index 0", GroupIds.validate("\uDE00a"));
        assertEquals("group id contains an unpaired surrogate U+D83D at index 0", GroupIds.validate("\uD83D\uD83D\uDE00"));
    }
}
