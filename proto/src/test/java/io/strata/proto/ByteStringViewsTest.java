package io.strata.proto;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class ByteStringViewsTest {

    @Test
    void aFlatByteStringIsViewedThroughItsArrayWithoutACopy() {
        byte[] bytes = "0123456789".getBytes(StandardCharsets.US_ASCII);
        ByteString s = UnsafeByteOperations.unsafeWrap(bytes, 2, 5);

        ByteBuffer view = ByteStringViews.view(s);

        assertThat(view.hasArray()).isTrue();
        assertThat(view.array()).isSameAs(bytes);
        assertThat(view.position()).isZero();
        assertThat(view.remaining()).isEqualTo(5);
        assertThat(view.get(0)).isEqualTo((byte) '2');
    }

    @Test
    void aParsedBytesFieldIsViewedThroughItsArray() throws Exception {
        ByteString batches = ByteString.copyFromUtf8("batches");
        io.strata.proto.v1.FetchResponse parsed = io.strata.proto.v1.FetchResponse.parseFrom(
                io.strata.proto.v1.FetchResponse.newBuilder().setBatches(batches).build().toByteArray());

        ByteBuffer view = ByteStringViews.view(parsed.getBatches());

        assertThat(view.hasArray()).isTrue();
        assertThat(view).isEqualTo(ByteBuffer.wrap("batches".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aByteStringOfSeveralPiecesOrOfADirectBufferFallsBackToTheReadOnlyView() {
        ByteString rope = ByteString.copyFromUtf8("a".repeat(200)).concat(ByteString.copyFromUtf8("b".repeat(200)));
        ByteBuffer direct = ByteBuffer.allocateDirect(4).put(new byte[] {1, 2, 3, 4}).flip();

        ByteBuffer ropeView = ByteStringViews.view(rope);
        ByteBuffer directView = ByteStringViews.view(UnsafeByteOperations.unsafeWrap(direct));

        assertThat(ropeView.isReadOnly()).isTrue();
        assertThat(ropeView.remaining()).isEqualTo(400);
        assertThat(directView.remaining()).isEqualTo(4);
        assertThat(directView.get(3)).isEqualTo((byte) 4);
    }

    @Test
    void anEmptyByteStringGivesAnEmptyBuffer() {
        assertThat(ByteStringViews.view(ByteString.EMPTY).remaining()).isZero();
    }
}
