package io.strata.ingestion.spool;

import io.strata.client.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SpoolCheckpointTest {

    @TempDir
    Path dir;

    @Test
    void progressRoundTripsAndReplacesTheFormerCheckpoint() throws IOException {
        var a = new SpoolCheckpoint.Progress(new TopicPartition("events", 0), 12, 40, -1, (short) -1);
        var b = new SpoolCheckpoint.Progress(new TopicPartition("orders.eu-1", 7), 3, Integer.MAX_VALUE, 99, (short) 2);
        SpoolCheckpoint.write(dir, List.of(a));
        SpoolCheckpoint.write(dir, List.of(a, b));

        assertThat(SpoolCheckpoint.read(dir)).containsOnlyKeys(a.partition(), b.partition())
                .containsEntry(a.partition(), a).containsEntry(b.partition(), b);
        assertThat(Files.exists(dir.resolve(SpoolCheckpoint.FILE_NAME + ".tmp"))).isFalse();
    }

    @Test
    void noCheckpointMeansNothingWasForwarded() throws IOException {
        assertThat(SpoolCheckpoint.read(dir)).isEmpty();
    }

    @Test
    void aDamagedCheckpointIsRefusedRatherThanGuessed() throws IOException {
        SpoolCheckpoint.write(dir, List.of(new SpoolCheckpoint.Progress(new TopicPartition("events", 0), 12, 40, -1, (short) -1)));
        byte[] bytes = Files.readAllBytes(dir.resolve(SpoolCheckpoint.FILE_NAME));
        bytes[12] ^= 1;
        Files.write(dir.resolve(SpoolCheckpoint.FILE_NAME), bytes);
        assertThatThrownBy(() -> SpoolCheckpoint.read(dir)).isInstanceOf(SpoolDamageException.class).hasMessageContaining("CRC");
    }

    @Test
    void theProducerIdentityRoundTripsAndDamageIsDetected() throws IOException {
        assertThat(SpoolIdentity.read(dir)).isEmpty();
        new SpoolIdentity(1234567890123L, (short) 3).write(dir);
        assertThat(SpoolIdentity.read(dir)).contains(new SpoolIdentity(1234567890123L, (short) 3));

        byte[] bytes = Files.readAllBytes(dir.resolve(SpoolIdentity.FILE_NAME));
        bytes[8] ^= 1;
        Files.write(dir.resolve(SpoolIdentity.FILE_NAME), bytes);
        assertThatThrownBy(() -> SpoolIdentity.read(dir)).isInstanceOf(SpoolDamageException.class);
    }
}
