package io.strata.standalone;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StandaloneOptionsTest {

    @Test
    void defaultsServeLoopbackOn9092WithDataInTheWorkingDirectory() {
        StandaloneOptions o = StandaloneOptions.parse();
        assertThat(o.port()).isEqualTo(9092);
        assertThat(o.httpPort()).isEqualTo(9093);
        assertThat(o.host()).isEqualTo("127.0.0.1");
        assertThat(o.dataDir()).isEqualTo(Path.of("strata-data").toAbsolutePath().normalize());
    }

    @Test
    void dataDirAndPortBecomeTheRolesKeys() {
        StandaloneOptions o = StandaloneOptions.parse("--data-dir", "/tmp/s", "--port=19092");
        assertThat(o.toConfig())
                .containsEntry("strata.listeners", "127.0.0.1:19092")
                .containsEntry("strata.log.dirs", Path.of("/tmp/s/logs").toString())
                .containsEntry("strata.metadata.dir", Path.of("/tmp/s/metadata").toString())
                .containsEntry("quarkus.http.port", "19093");
    }

    @Test
    void badOptionsAreRefusedWithUsage() {
        assertThatThrownBy(() -> StandaloneOptions.parse("--port", "abc")).hasMessageContaining("needs a number");
        assertThatThrownBy(() -> StandaloneOptions.parse("--port", "70000")).hasMessageContaining("outside 0..65535");
        assertThatThrownBy(() -> StandaloneOptions.parse("--nope", "1")).hasMessageContaining("unknown option --nope");
        assertThatThrownBy(() -> StandaloneOptions.parse("--data-dir")).hasMessageContaining("needs a value");
    }
}
