package io.strata.cli.perf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(10)
class ClientPropsTest {

    private static Map<String, String> props(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void optionsAndPairsMergeAndBootstrapAndClientIdAreFilledIn() {
        Map<String, Object> config = ClientProps.merge("h:1", "perf", Map.of("acks", new ClientProps.Named("--acks", "1")),
                props("buffer.memory", "67108864", "linger.ms", "5"), "--producer-props");
        assertThat(config).containsEntry("acks", "1").containsEntry("buffer.memory", "67108864")
                .containsEntry("linger.ms", "5").containsEntry("bootstrap.servers", "h:1").containsEntry("client.id", "perf");
    }

    @Test
    void theSameValueBothWaysIsFineADifferentOneIsAUsageError() {
        assertThat(ClientProps.merge("h:1", "perf", Map.of("acks", new ClientProps.Named("--acks", "all")),
                props("acks", "ALL"), "--producer-props")).containsEntry("acks", "all");
        assertThatThrownBy(() -> ClientProps.merge("h:1", "perf", Map.of("acks", new ClientProps.Named("--acks", "1")),
                props("acks", "all"), "--producer-props"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--acks 1 conflicts with --producer-props acks=all");
    }

    @Test
    void clientIdFromThePairsWinsOverTheDefault() {
        assertThat(ClientProps.merge("h:1", "perf", Map.of(), props("client.id", "mine"), "--consumer-props"))
                .containsEntry("client.id", "mine");
    }

    @Test
    void theServerComesOnlyFromBootstrap() {
        assertThatThrownBy(() -> ClientProps.merge("h:1", "perf", Map.of(), props("bootstrap.servers", "x:2"),
                "--producer-props"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--bootstrap");
    }
}
