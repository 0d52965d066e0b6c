package io.finetune4j.runtime.io.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finetune4j.api.ConfigException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufFileTest {
    @TempDir
    Path temp;

    @Test
    void everyValueTypeReadsBackAsWritten() {
        Map<String, GgufValue> metadata = new LinkedHashMap<>();
        metadata.put("u8", GgufValue.integer(GgufValueType.UINT8, 255));
        metadata.put("i8", GgufValue.integer(GgufValueType.INT8, -128));
        metadata.put("u16", GgufValue.integer(GgufValueType.UINT16, 65535));
        metadata.put("i16", GgufValue.integer(GgufValueType.INT16, -32768));
        metadata.put("u32", GgufValue.uint32(4_000_000_000L));
        metadata.put("i32", GgufValue.int32(-7));
        metadata.put("u64", GgufValue.integer(GgufValueType.UINT64, 1L << 40));
        metadata.put("i64", GgufValue.integer(GgufValueType.INT64, -(1L << 40)));
        metadata.put("f32", GgufValue.float32(0.1));
        metadata.put("f64", new GgufValue(GgufValueType.FLOAT64, 0.1, null));
        metadata.put("bool", GgufValue.bool(true));
        metadata.put("string", GgufValue.string("héllo ✓"));
        metadata.put("strings", GgufValue.stringArray(List.of("a", "", "Ġb")));
        metadata.put("nested", GgufValue.array(GgufValueType.ARRAY, List.of(GgufValue.int32Array(new int[] {1, 2}),
                GgufValue.int32Array(new int[] {}))));
        Path file = temp.resolve("all.gguf");

        GgufWriter.write(file, metadata, List.of());
        GgufFile read = GgufReader.read(file);

        assertThat(read.version()).isEqualTo(3);
        assertThat(read.metadata()).containsExactlyEntriesOf(metadata);
        assertThat(read.value("f32").orElseThrow().asDouble()).isEqualTo(0.1f);
    }

    /** The layout of docs/gguf.md, checked byte by byte for one small tensor. */
    @Test
    void headerInfosAndDataAreLaidOutAsTheSpecificationSays() throws Exception {
        Path file = temp.resolve("one.gguf");
        GgufWriter.write(file, Map.of("k", GgufValue.uint32(5)), List.of(
                new GgufTensor("a", new long[] {2, 3}, GgufTensorType.F32, () -> new float[] {1, 2, 3, 4, 5, 6}),
                new GgufTensor("b", new long[] {1}, GgufTensorType.F32, () -> new float[] {7})));

        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(bytes.getInt()).isEqualTo(0x46554747);
        assertThat(bytes.getInt()).isEqualTo(3);
        assertThat(bytes.getLong()).isEqualTo(2); // tensors
        assertThat(bytes.getLong()).isEqualTo(1); // metadata
        assertThat(bytes.getLong()).isEqualTo(1); // key length
        assertThat(bytes.get()).isEqualTo((byte) 'k');
        assertThat(bytes.getInt()).isEqualTo(4); // UINT32
        assertThat(bytes.getInt()).isEqualTo(5);
        assertThat(bytes.getLong()).isEqualTo(1);
        assertThat(bytes.get()).isEqualTo((byte) 'a');
        assertThat(bytes.getInt()).isEqualTo(2); // dims
        assertThat(bytes.getLong()).isEqualTo(3); // ne[0]: the row length
        assertThat(bytes.getLong()).isEqualTo(2);
        assertThat(bytes.getInt()).isEqualTo(0); // F32
        assertThat(bytes.getLong()).isEqualTo(0); // offset
        bytes.getLong();
        bytes.get();
        bytes.getInt();
        bytes.getLong();
        bytes.getInt();
        assertThat(bytes.getLong()).isEqualTo(32); // 24 bytes of "a" padded to 32
        int dataStart = (bytes.position() + 31) / 32 * 32;
        assertThat(bytes.getFloat(dataStart + 4 * 5)).isEqualTo(6f);
        assertThat(bytes.getFloat(dataStart + 32)).isEqualTo(7f);
        GgufFile read = GgufReader.read(file);
        assertThat(read.dataStart()).isEqualTo(dataStart);
        assertThat(read.tensor("a").orElseThrow().shape()).containsExactly(2, 3);
        assertThat(read.read("a")).containsExactly(1, 2, 3, 4, 5, 6);
    }

    @Test
    void notAGgufFileIsNamed() throws Exception {
        Path file = Files.writeString(temp.resolve("x.gguf"), "GGML and more bytes here");

        assertThatThrownBy(() -> GgufReader.read(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(file + ": not a GGUF file");
    }

    @Test
    void aTruncatedFileNamesTheTensorThatRunsPastTheEnd() throws Exception {
        Path file = temp.resolve("cut.gguf");
        GgufWriter.write(file, Map.of(), List.of(
                new GgufTensor("blk.0.attn_q.weight", new long[] {4, 32}, GgufTensorType.F16, () -> new float[128])));
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 10));

        assertThatThrownBy(() -> GgufReader.read(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("tensor blk.0.attn_q.weight").hasMessageContaining("past the end of the file");
    }
}
