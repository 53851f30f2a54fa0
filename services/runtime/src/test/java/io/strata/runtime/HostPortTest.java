package io.strata.runtime;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HostPortTest {

    @Test
    void parsesHostAndPort() {
        assertThat(HostPort.parse("127.0.0.1:9092")).isEqualTo(new HostPort("127.0.0.1", 9092));
    }

    @Test
    void acceptsKafkaStyleListenerWithScheme() {
        assertThat(HostPort.parse("PLAINTEXT://0.0.0.0:9092")).isEqualTo(new HostPort("0.0.0.0", 9092));
    }

    @Test
    void refusesMissingPortWithTheValueInTheMessage() {
        assertThatThrownBy(() -> HostPort.parse("localhost"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'localhost' is not host:port");
    }

    @Test
    void refusesNonNumericAndOutOfRangePorts() {
        assertThatThrownBy(() -> HostPort.parse("h:x")).hasMessageContaining("non-numeric");
        assertThatThrownBy(() -> HostPort.parse("h:70000")).hasMessageContaining("outside 0..65535");
    }

    @Test
    void parsesACommaSeparatedListSkippingBlanks() {
        assertThat(HostPort.parseList(" a:1, PLAINTEXT://b:2,,c:3 ,"))
                .containsExactly(new HostPort("a", 1), new HostPort("b", 2), new HostPort("c", 3));
        assertThat(HostPort.parseList(" , ")).isEmpty();
        assertThatThrownBy(() -> HostPort.parseList("a:1,b")).hasMessageContaining("'b' is not host:port");
    }
}
