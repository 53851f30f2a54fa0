package io.strata.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(10)
class KeyedLineTest {

    private static String s(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void withoutASeparatorTheWholeLineIsTheValue() {
        KeyedLine line = KeyedLine.parse("a:b", null).orElseThrow();
        assertThat(line.key()).isNull();
        assertThat(s(line.value())).isEqualTo("a:b");
    }

    @Test
    void keyIsTheTextBeforeTheFirstSeparator() {
        KeyedLine line = KeyedLine.parse("user-1:hello:world", ":").orElseThrow();
        assertThat(s(line.key())).isEqualTo("user-1");
        assertThat(s(line.value())).isEqualTo("hello:world");
    }

    @Test
    void multiCharacterSeparatorsWork() {
        KeyedLine line = KeyedLine.parse("k=>v=>w", "=>").orElseThrow();
        assertThat(s(line.key())).isEqualTo("k");
        assertThat(s(line.value())).isEqualTo("v=>w");
    }

    @Test
    void emptyKeyAndEmptyValueAreKept() {
        KeyedLine emptyKey = KeyedLine.parse(":v", ":").orElseThrow();
        assertThat(s(emptyKey.key())).isEmpty();
        KeyedLine emptyValue = KeyedLine.parse("k:", ":").orElseThrow();
        assertThat(s(emptyValue.value())).isEmpty();
    }

    @Test
    void lineWithoutTheSeparatorIsRejected() {
        assertThat(KeyedLine.parse("no separator here", ":")).isEmpty();
    }

    @Test
    void textIsEncodedAsUtf8() {
        KeyedLine line = KeyedLine.parse("clé\tvaleur ✓", "\t").orElseThrow();
        assertThat(line.key()).isEqualTo("clé".getBytes(StandardCharsets.UTF_8));
        assertThat(s(line.value())).isEqualTo("valeur ✓");
    }
}
