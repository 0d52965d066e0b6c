package io.finetune4j.runtime.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.finetune4j.api.ConfigException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufReaderTest {
    @TempDir
    Path temp;

    /** The fixture, or the test is skipped with a message (a fresh clone has no ../shared). */
    static Path stories260K() {
        String shared = System.getProperty("finetune4j.shared");
        Assumptions.assumeTrue(shared != null, "system property finetune4j.shared is not set; skipping GGUF fixture test");
        Path file = Path.of(shared, "fixtures", "stories260K", "stories260K.gguf");
        Assumptions.assumeTrue(Files.isRegularFile(file), "fixture " + file + " is absent; skipping");
        return file;
    }

    @Test
    void readsLlamaHyperParametersOfStories260K() {
        GgufReader gguf = GgufReader.open(stories260K());

        assertThat(gguf.version()).isEqualTo(3);
        assertThat(gguf.getString("general.architecture")).isEqualTo("llama");
        assertThat(gguf.getLong("llama.embedding_length")).isEqualTo(64);
        assertThat(gguf.getLong("llama.block_count")).isEqualTo(5);
        assertThat(gguf.getLong("llama.attention.head_count")).isEqualTo(8);
        assertThat(gguf.getLong("llama.attention.head_count_kv")).isEqualTo(4);
        assertThat(gguf.getLong("llama.feed_forward_length")).isEqualTo(172);
        assertThat(gguf.getLong("llama.rope.dimension_count")).isEqualTo(8);
        assertThat(gguf.getDouble("llama.attention.layer_norm_rms_epsilon")).isCloseTo(1e-5, within(1e-12));
        assertThat(gguf.getLong("tokenizer.ggml.bos_token_id")).isEqualTo(1);
        assertThat(gguf.getLong("tokenizer.ggml.eos_token_id")).isEqualTo(2);
        // A u32 of 0xffffffff ("none") must not read as -1.
        assertThat(gguf.getLong("tokenizer.ggml.padding_token_id")).isEqualTo(0xffffffffL);
    }

    @Test
    void readsTheSentencePieceVocabularyOfStories260K() {
        GgufReader gguf = GgufReader.open(stories260K());

        List<Object> tokens = List.copyOf(gguf.getArray("tokenizer.ggml.tokens"));
        assertThat(tokens).hasSize(512);
        assertThat(tokens.subList(0, 4)).containsExactly((Object) "<unk>", "<s>", "</s>", "<0x00>");
        assertThat(tokens.get(3 + 0x0A)).isEqualTo("<0x0A>");
        assertThat(tokens.get(259)).isEqualTo("\u2581t");
        assertThat(gguf.getArray("tokenizer.ggml.scores")).hasSize(512).allMatch(v -> v instanceof Float);
        assertThat(gguf.getArray("tokenizer.ggml.token_type")).hasSize(512).element(1).isEqualTo(3);
    }

    @Test
    void tensorShapesAreReversedGgufDims() {
        GgufReader gguf = GgufReader.open(stories260K());

        assertThat(gguf.tensors()).hasSize(48);
        assertThat(gguf.tensor("token_embd.weight").dims()).containsExactly(64, 512);
        assertThat(gguf.tensor("token_embd.weight").shape()).containsExactly(512, 64);
        assertThat(gguf.tensor("blk.0.attn_k.weight").shape()).containsExactly(32, 64);
        assertThat(gguf.tensor("blk.3.ffn_down.weight").shape()).containsExactly(64, 172);
        assertThat(gguf.tensor("blk.3.ffn_up.weight").shape()).containsExactly(172, 64);
        assertThat(gguf.tensor("output_norm.weight").shape()).containsExactly(64);
    }

    @Test
    void tensorDataIsAlignedAndEndsExactlyAtTheEndOfTheFile() throws IOException {
        Path file = stories260K();
        GgufReader gguf = GgufReader.open(file);

        assertThat(gguf.alignment()).isEqualTo(32);
        assertThat(gguf.dataOffset() % 32).isZero();
        long end = gguf.tensors().values().stream()
                .mapToLong(t -> gguf.dataOffset() + t.offset() + 4 * t.elementCount()).max().orElseThrow();
        assertThat(end).isEqualTo(Files.size(file));
        float[] norm = gguf.readFloats("output_norm.weight");
        assertThat(norm).hasSize(64);
        // Trained RMSNorm gains: finite and not the all-ones initialisation.
        assertThat(norm).doesNotContain(Float.NaN);
        assertThat(new float[] {norm[0], norm[1], norm[2]}).isNotEqualTo(new float[] {1, 1, 1});
    }

    @Test
    void parsesEveryMetadataValueTypeOfAHandWrittenFile() throws IOException {
        Path file = temp.resolve("all-types.gguf");
        GgufBytes bytes = new GgufBytes(3, 1, 15);
        bytes.key("u8", GgufReader.VALUE_UINT8).u8(200);
        bytes.key("i8", GgufReader.VALUE_INT8).u8(-5);
        bytes.key("u16", GgufReader.VALUE_UINT16).u16(65000);
        bytes.key("i16", GgufReader.VALUE_INT16).u16(-300);
        bytes.key("u32", GgufReader.VALUE_UINT32).u32(0xfffffffe);
        bytes.key("i32", GgufReader.VALUE_INT32).u32(-7);
        bytes.key("f32", GgufReader.VALUE_FLOAT32).u32(Float.floatToIntBits(0.25f));
        bytes.key("bool", GgufReader.VALUE_BOOL).u8(1);
        bytes.key("str", GgufReader.VALUE_STRING).string("héllo ▁");
        bytes.key("u64", GgufReader.VALUE_UINT64).u64(1L << 40);
        bytes.key("i64", GgufReader.VALUE_INT64).u64(-1234567890123L);
        bytes.key("f64", GgufReader.VALUE_FLOAT64).u64(Double.doubleToLongBits(-2.5));
        bytes.key("strings", GgufReader.VALUE_ARRAY).u32(GgufReader.VALUE_STRING).u64(2).string("a").string("");
        bytes.key("nested", GgufReader.VALUE_ARRAY).u32(GgufReader.VALUE_ARRAY).u64(1)
                .u32(GgufReader.VALUE_INT32).u64(2).u32(3).u32(4);
        bytes.key("general.alignment", GgufReader.VALUE_UINT32).u32(64);
        bytes.tensorInfo("t", new long[] {3, 2}, GgufReader.TYPE_F32, 0);
        bytes.padTo(64).f32(0, 1, 2, 3, 4, 5);
        Files.write(file, bytes.toByteArray());

        GgufReader gguf = GgufReader.open(file);

        assertThat(gguf.metadata()).containsEntry("u8", 200).containsEntry("i8", (byte) -5)
                .containsEntry("u16", 65000).containsEntry("i16", (short) -300)
                .containsEntry("u32", 0xfffffffeL).containsEntry("i32", -7).containsEntry("f32", 0.25f)
                .containsEntry("bool", true).containsEntry("str", "héllo ▁").containsEntry("u64", 1L << 40)
                .containsEntry("i64", -1234567890123L).containsEntry("f64", -2.5)
                .containsEntry("strings", List.of("a", "")).containsEntry("nested", List.of(List.of(3, 4)));
        assertThat(gguf.metadata().keySet()).startsWith("u8", "i8", "u16");
        assertThat(gguf.alignment()).isEqualTo(64);
        assertThat(gguf.dataOffset()).isEqualTo(bytes.dataOffset());
        assertThat(gguf.tensor("t").shape()).containsExactly(2, 3);
        assertThat(gguf.readFloats("t")).containsExactly(0, 1, 2, 3, 4, 5);
    }

    @Test
    void readsHalfAndBfloat16TensorsAsFloats() throws IOException {
        Path file = temp.resolve("halves.gguf");
        GgufBytes bytes = new GgufBytes(2, 2, 0);
        bytes.tensorInfo("half", new long[] {6}, GgufReader.TYPE_F16, 0);
        bytes.tensorInfo("brain", new long[] {2}, GgufReader.TYPE_BF16, 32);
        // binary16: 1.0, -2.0, 0.5, max 65504, smallest subnormal 2^-24, -infinity
        bytes.padTo(32).u16(0x3c00).u16(0xc000).u16(0x3800).u16(0x7bff).u16(0x0001).u16(0xfc00);
        bytes.padTo(32).u16(0x3f80).u16(0xc0a0); // bfloat16: 1.0, -5.0
        Files.write(file, bytes.toByteArray());

        GgufReader gguf = GgufReader.open(file);

        assertThat(gguf.version()).isEqualTo(2);
        assertThat(gguf.readFloats("half"))
                .containsExactly(1f, -2f, 0.5f, 65504f, (float) Math.pow(2, -24), Float.NEGATIVE_INFINITY);
        assertThat(gguf.readFloats("brain")).containsExactly(1f, -5f);
    }

    @Test
    void rejectsAFileWithoutTheMagicAndNamesIt() throws IOException {
        Path file = temp.resolve("model.safetensors");
        Files.write(file, new byte[] {8, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '});

        assertThatThrownBy(() -> GgufReader.open(file)).isInstanceOf(ConfigException.class)
                .hasMessage(file + ": not a GGUF file (magic 0x00000008, expected 0x46554747 \"GGUF\")");
    }

    @Test
    void rejectsVersionOne() throws IOException {
        Path file = temp.resolve("old.gguf");
        Files.write(file, new GgufBytes(1, 0, 0).toByteArray());

        assertThatThrownBy(() -> GgufReader.open(file)).isInstanceOf(ConfigException.class)
                .hasMessage(file + ": GGUF version 1 is not supported; supported: 2, 3");
    }

    @Test
    void rejectsATruncatedHeader() throws IOException {
        Path file = temp.resolve("cut.gguf");
        GgufBytes bytes = new GgufBytes(3, 0, 1);
        bytes.key("general.name", GgufReader.VALUE_STRING).string("stories");
        byte[] whole = bytes.toByteArray();
        Files.write(file, Arrays.copyOf(whole, whole.length - 3));

        assertThatThrownBy(() -> GgufReader.open(file)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(file + ": string of 7 bytes");
    }

    @Test
    void rejectsATensorRunningPastTheEnd() throws IOException {
        Path file = temp.resolve("short.gguf");
        GgufBytes bytes = new GgufBytes(3, 1, 0);
        bytes.tensorInfo("w", new long[] {4, 4}, GgufReader.TYPE_F32, 0);
        bytes.padTo(32).f32(1, 2, 3);
        Files.write(file, bytes.toByteArray());

        assertThatThrownBy(() -> GgufReader.open(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("tensor 'w' (64 bytes at data offset 0) runs past the end of the file");
    }

    @Test
    void halfToFloatMatchesTheFormulaForEveryFiniteValue() {
        for (int bits = 0; bits < 0x10000; bits++) {
            int exponent = (bits >> 10) & 0x1f;
            int mantissa = bits & 0x3ff;
            if (exponent == 0x1f) {
                continue;
            }
            double magnitude = exponent == 0 ? mantissa * Math.pow(2, -24)
                    : (1 + mantissa / 1024.0) * Math.pow(2, exponent - 15);
            double expected = (bits & 0x8000) != 0 ? -magnitude : magnitude;
            assertThat((double) GgufReader.halfToFloat((short) bits)).as("bits 0x%04x", bits).isEqualTo(expected);
        }
        assertThat(GgufReader.halfToFloat((short) 0x7e00)).isNaN();
    }

    /** Builds a GGUF file byte by byte, independently of the reader. */
    static final class GgufBytes {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private long dataOffset = -1;

        GgufBytes(int version, long tensors, long metadata) {
            u32(GgufReader.MAGIC).u32(version).u64(tensors).u64(metadata);
        }

        GgufBytes key(String key, int type) {
            return string(key).u32(type);
        }

        GgufBytes tensorInfo(String name, long[] dims, int type, long offset) {
            string(name).u32(dims.length);
            for (long dim : dims) {
                u64(dim);
            }
            return u32(type).u64(offset);
        }

        /** Pads with zeros to a multiple of {@code alignment}; the first call marks the start of the data. */
        GgufBytes padTo(long alignment) {
            while (out.size() % alignment != 0) {
                out.write(0);
            }
            if (dataOffset < 0) {
                dataOffset = out.size();
            }
            return this;
        }

        long dataOffset() {
            return dataOffset;
        }

        GgufBytes u8(int value) {
            out.write(value);
            return this;
        }

        GgufBytes u16(int value) {
            return put(ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort((short) value));
        }

        GgufBytes u32(int value) {
            return put(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value));
        }

        GgufBytes u64(long value) {
            return put(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value));
        }

        GgufBytes f32(float... values) {
            for (float value : values) {
                u32(Float.floatToIntBits(value));
            }
            return this;
        }

        GgufBytes string(String text) {
            byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
            u64(utf8.length);
            out.writeBytes(utf8);
            return this;
        }

        byte[] toByteArray() {
            return out.toByteArray();
        }

        private GgufBytes put(ByteBuffer buffer) {
            out.writeBytes(buffer.array());
            return this;
        }
    }
}
