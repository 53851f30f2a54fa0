package io.strata.ingestion.spool;

import com.google.protobuf.ByteString;
import io.strata.client.TopicPartition;
import io.strata.proto.v1.PublishRecord;
import io.strata.records.Compression;
import io.strata.records.RecordBatchBuilder;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** Entries and records for the spool's tests. */
final class SpoolTestData {

    static final SpoolIdentity ID = new SpoolIdentity(77, (short) 0);

    private SpoolTestData() {
    }

    /** An entry of {@code records} small records for {@code tp}, sequences from {@code firstSequence}. */
    static SpoolEntry entry(TopicPartition tp, int firstSequence, int records, String valuePrefix) {
        RecordBatchBuilder b = new RecordBatchBuilder(Compression.NONE, 256).producer(ID.producerId(), ID.producerEpoch(),
                firstSequence);
        for (int i = 0; i < records; i++) {
            b.append(1_000 + i, null, (valuePrefix + i).getBytes(StandardCharsets.UTF_8), List.of());
        }
        return new SpoolEntry(tp, b.build());
    }

    static PublishRecord record(String topic, String key, String value) {
        PublishRecord.Builder r = PublishRecord.newBuilder().setTopic(topic).setValue(ByteString.copyFromUtf8(value));
        if (key != null) {
            r.setKey(ByteString.copyFromUtf8(key));
        }
        return r.build();
    }
}
