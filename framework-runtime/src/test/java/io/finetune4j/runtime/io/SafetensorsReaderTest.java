package io.finetune4j.runtime.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.ConfigException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsReaderTest {
    private static final String SUPPORTED = "[F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL]";

    @TempDir
    Path dir;

    private NDManager manager;

    @BeforeEach
    void openManager() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void closeManager() {
        manager.close();
    }

    private Path file(String header, byte[] data) {
        return RawSafetensors.write(dir.resolve("model.safetensors"), header, data);
    }

    private static String tensor(String name, String dtype, String shape, long begin, long end) {
        return String.format("\"%s\":{\"dtype\":\"%s\",\"shape\":%s,\"data_offsets\":[%d,%d]}", name, dtype, shape, begin, end);
    }

    private void assertRejected(Path file, String message) {
        assertThatThrownBy(() -> SafetensorsReader.open(file).close())
                .isInstanceOf(ConfigException.class)
                .hasMessage(file + ": " + message);
    }

    @Test
    void readsTensorsInFileOrderWithMetadata() {
        String header = "{\"__metadata__\":{\"format\":\"pt\"}," + tensor("b", "F32", "[1]", 8, 12) + ","
                + tensor("a", "F32", "[2]", 0, 8) + "}";
        Path file = file(header, RawSafetensors.floats(1.5f, -2f, 7f));

        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            assertThat(reader.metadata()).containsExactly(Map.entry("format", "pt"));
            assertThat(reader.tensors()).extracting(SafetensorsReader.TensorInfo::name).containsExactly("a", "b");
            assertThat(reader.info("a").orElseThrow().shape()).isEqualTo(new Shape(2));
            assertThat(reader.info("a").orElseThrow().dtype()).isEqualTo(SafetensorsDtype.F32);
            assertThat(reader.load("a", manager).toFloatArray()).containsExactly(1.5f, -2f);
            assertThat(reader.load("b", manager).toFloatArray()).containsExactly(7f);
        }
    }

    @Test
    void loadsHalfPrecisionTensorsAsFloat32() {
        String header = "{" + tensor("h", "F16", "[2]", 0, 4) + "," + tensor("b", "BF16", "[2]", 4, 8) + "}";
        Path file = file(header, RawSafetensors.shorts((short) 0x3C00, (short) 0xC000, (short) 0x3F80, (short) 0x4049));

        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            NDArray half = reader.load("h", manager);
            NDArray brain = reader.load("b", manager);
            assertThat(half.getDataType()).isEqualTo(DataType.FLOAT32);
            assertThat(half.toFloatArray()).containsExactly(1.0f, -2.0f);
            assertThat(brain.getDataType()).isEqualTo(DataType.FLOAT32);
            assertThat(brain.toFloatArray()).containsExactly(1.0f, 3.140625f);
        }
    }

    @Test
    void loadsF64AsFloat32() {
        ByteBuffer data = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putDouble(0.25).putDouble(-3.5);
        Path file = file("{" + tensor("d", "F64", "[2]", 0, 16) + "}", data.array());

        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            assertThat(reader.load("d", manager).toFloatArray()).containsExactly(0.25f, -3.5f);
        }
    }

    @Test
    void loadsIntegerTensorsInTheirOwnType() {
        ByteBuffer data = ByteBuffer.allocate(8 + 4 + 1 + 1 + 2).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(-5_000_000_000L).putInt(-7).put((byte) -3).put((byte) 200);
        data.put((byte) 1).put((byte) 0);
        String header = "{" + tensor("i64", "I64", "[1]", 0, 8) + "," + tensor("i32", "I32", "[1]", 8, 12) + ","
                + tensor("i8", "I8", "[1]", 12, 13) + "," + tensor("u8", "U8", "[1]", 13, 14) + ","
                + tensor("bool", "BOOL", "[2]", 14, 16) + "}";
        Path file = file(header, data.array());

        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            assertThat(reader.load("i64", manager).toLongArray()).containsExactly(-5_000_000_000L);
            assertThat(reader.load("i32", manager).toIntArray()).containsExactly(-7);
            assertThat(reader.load("i8", manager).toByteArray()).containsExactly((byte) -3);
            assertThat(reader.load("u8", manager).toUint8Array()).containsExactly(200);
            assertThat(reader.load("bool", manager).toBooleanArray()).containsExactly(true, false);
        }
    }

    @Test
    void loadsI16AsInt32BecauseDjlCannotHoldInt16() {
        Path file = file("{" + tensor("s", "I16", "[2]", 0, 4) + "}", RawSafetensors.shorts((short) -300, (short) 32767));

        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            NDArray array = reader.load("s", manager);
            assertThat(array.getDataType()).isEqualTo(DataType.INT32);
            assertThat(array.toIntArray()).containsExactly(-300, 32767);
        }
    }

    @Test
    void loadsScalarsAndEmptyTensors() {
        String header = "{" + tensor("scalar", "F32", "[]", 0, 4) + "," + tensor("empty", "F32", "[0,3]", 4, 4) + "}";
        Path file = file(header, RawSafetensors.floats(42f));

        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            NDArray scalar = reader.load("scalar", manager);
            NDArray empty = reader.load("empty", manager);
            assertThat(scalar.getShape()).isEqualTo(new Shape());
            assertThat(scalar.getFloat()).isEqualTo(42f);
            assertThat(empty.getShape()).isEqualTo(new Shape(0, 3));
        }
    }

    @Test
    void emptyTensorsInsideAnotherRangeDoNotOverlap() {
        String header = "{" + tensor("a", "F32", "[2]", 0, 8) + "," + tensor("e", "F32", "[0]", 4, 4) + "}";
        Path file = file(header, RawSafetensors.floats(1f, 2f));

        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            assertThat(reader.tensors()).hasSize(2);
        }
    }

    @Test
    void rejectsFileShorterThanTheLengthField() throws Exception {
        Path file = dir.resolve("model.safetensors");
        java.nio.file.Files.write(file, new byte[] {1, 2, 3, 4, 5});

        assertRejected(file, "5 bytes is too short for a safetensors file (it starts with an 8-byte header length)");
    }

    @Test
    void rejectsHugeHeaderLength() {
        Path file = RawSafetensors.write(dir.resolve("model.safetensors"), 200_000_000L, "{}".getBytes(StandardCharsets.UTF_8), new byte[0]);

        assertRejected(file, "header length 200000000 exceeds the limit of 104857600 bytes");
    }

    @Test
    void rejectsHeaderLengthWithTheTopBitSet() {
        Path file = RawSafetensors.write(dir.resolve("model.safetensors"), -1L, "{}".getBytes(StandardCharsets.UTF_8), new byte[0]);

        assertRejected(file, "header length 18446744073709551615 exceeds the limit of 104857600 bytes");
    }

    @Test
    void rejectsTruncatedFile() {
        Path file = RawSafetensors.write(dir.resolve("model.safetensors"), 100, "{\"a\":".getBytes(StandardCharsets.UTF_8), new byte[0]);

        assertRejected(file, "header length 100 exceeds the 5 bytes that follow it (file truncated?)");
    }

    @Test
    void rejectsHeaderThatIsNotJson() {
        assertRejected(file("{\"a\": nope}", new byte[0]),
                "header is not valid JSON: Unrecognized token 'nope': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')");
    }

    @Test
    void rejectsHeaderThatIsNotAnObject() {
        assertRejected(file("[1, 2]", new byte[0]), "header is not a JSON object");
    }

    @Test
    void rejectsHeaderThatIsNotUtf8() {
        Path file = RawSafetensors.write(dir.resolve("model.safetensors"), 4, new byte[] {'{', (byte) 0xC3, '}', ' '}, new byte[0]);

        assertRejected(file, "header is not valid UTF-8 (at byte 1)");
    }

    @Test
    void rejectsContentAfterTheHeaderObject() {
        assertRejected(file("{} {}", new byte[0]), "header is not valid JSON: content after the closing '}'");
    }

    @Test
    void rejectsShapeWithTooManyDimensions() {
        String shape = "[" + "1,".repeat(64) + "1]";

        assertRejected(file("{" + tensor("w", "F32", shape, 0, 4) + "}", new byte[4]),
                "tensor 'w': shape has 65 dimensions; at most 64 are supported");
    }

    @Test
    void rejectsDimensionBeyondALong() {
        Path file = file("{" + tensor("w", "F32", "[99999999999999999999]", 0, 4) + "}", new byte[4]);

        assertRejected(file, "tensor 'w': shape must be a list of non-negative integers, was [99999999999999999999]");
    }

    @Test
    void rejectsDuplicateTensorNames() {
        String header = "{" + tensor("w", "F32", "[1]", 0, 4) + "," + tensor("w", "F32", "[1]", 4, 8) + "}";

        assertThatThrownBy(() -> SafetensorsReader.open(file(header, RawSafetensors.floats(1f, 2f))))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("header is not valid JSON: Duplicate field 'w'");
    }

    @Test
    void rejectsUnknownDtype() {
        Path file = file("{" + tensor("w", "F8_E4M3", "[4]", 0, 4) + "}", new byte[4]);

        assertRejected(file, "tensor 'w': unsupported dtype 'F8_E4M3'; supported: " + SUPPORTED);
    }

    @Test
    void rejectsSizeMismatch() {
        Path file = file("{" + tensor("model.norm.weight", "F32", "[16]", 0, 40) + "}", new byte[64]);

        assertRejected(file, "tensor 'model.norm.weight': data_offsets [0, 40] hold 40 bytes but shape [16] of F32 needs 64");
    }

    @Test
    void rejectsRangeOutsideTheDataSection() {
        Path file = file("{" + tensor("w", "F32", "[16]", 0, 64) + "}", new byte[32]);

        assertRejected(file, "tensor 'w': data_offsets [0, 64] lie outside the data section of 32 bytes");
    }

    @Test
    void rejectsReversedRange() {
        Path file = file("{" + tensor("w", "F32", "[1]", 8, 4) + "}", new byte[8]);

        assertRejected(file, "tensor 'w': data_offsets [8, 4] end before they begin");
    }

    @Test
    void rejectsOverlappingRanges() {
        String header = "{" + tensor("a", "F32", "[4]", 0, 16) + "," + tensor("b", "F32", "[4]", 8, 24) + "}";

        assertRejected(file(header, new byte[24]), "tensor 'b': data_offsets [8, 24] overlap tensor 'a' at [0, 16]");
    }

    @Test
    void rejectsShapeOverflow() {
        Path file = file("{" + tensor("w", "F32", "[4294967296,4294967296]", 0, 0) + "}", new byte[0]);

        assertRejected(file, "tensor 'w': shape [4294967296, 4294967296] of F32 overflows a 64-bit byte count");
    }

    @Test
    void rejectsByteCountOverflowOfAFittingElementCount() {
        Path file = file("{" + tensor("w", "F64", "[2305843009213693952]", 0, 0) + "}", new byte[0]);

        assertRejected(file, "tensor 'w': shape [2305843009213693952] of F64 overflows a 64-bit byte count");
    }

    @Test
    void rejectsNegativeDimension() {
        Path file = file("{" + tensor("w", "F32", "[-1]", 0, 4) + "}", new byte[4]);

        assertRejected(file, "tensor 'w': shape must be a list of non-negative integers, was [-1]");
    }

    @Test
    void rejectsMalformedDataOffsets() {
        Path file = file("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", new byte[4]);

        assertRejected(file, "tensor 'w': data_offsets must be two non-negative integers [begin, end], was [0]");
    }

    @Test
    void rejectsNonStringMetadata() {
        Path file = file("{\"__metadata__\":{\"format\":3}}", new byte[0]);

        assertRejected(file, "__metadata__ 'format' must be a string, was 3");
    }

    @Test
    void rejectsMissingFile() {
        Path file = dir.resolve("absent.safetensors");

        assertRejected(file, "file not found");
    }
}
