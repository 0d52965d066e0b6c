package io.finetune4j.runtime.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsWriterTest {
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

    /** Every 16-bit pattern once, as a tensor of the given dtype, in a file built without the writer. */
    private Path allPatterns(String dtype) {
        short[] patterns = new short[0x10000];
        for (int i = 0; i < patterns.length; i++) {
            patterns[i] = (short) i;
        }
        String header = "{\"w\":{\"dtype\":\"" + dtype + "\",\"shape\":[256,256],\"data_offsets\":[0,131072]}}";
        return RawSafetensors.write(dir.resolve("source.safetensors"), header, RawSafetensors.shorts(patterns));
    }

    /** Reads {@code source} and writes it back in its stored dtype. */
    private Path loadAndSave(Path source) {
        Path copy = dir.resolve("copy.safetensors");
        try (SafetensorsReader reader = SafetensorsReader.open(source)) {
            Map<String, NDArray> arrays = reader.loadAll(manager);
            Map<String, DataType> types = new LinkedHashMap<>();
            reader.tensors().forEach(info -> types.put(info.name(), info.dtype().dataType()));
            SafetensorsWriter.write(copy, arrays, types, reader.metadata());
        }
        return copy;
    }

    @Test
    void f16RoundTripIsBitIdentical() {
        Path source = allPatterns("F16");

        assertThat(RawSafetensors.dataSection(loadAndSave(source))).isEqualTo(RawSafetensors.dataSection(source));
    }

    @Test
    void bf16RoundTripIsBitIdentical() {
        Path source = allPatterns("BF16");

        assertThat(RawSafetensors.dataSection(loadAndSave(source))).isEqualTo(RawSafetensors.dataSection(source));
    }

    @Test
    void f32RoundTripIsBitIdentical() {
        Random random = new Random(7);
        int[] bits = new int[4096];
        for (int i = 0; i < bits.length; i++) {
            bits[i] = random.nextInt();
        }
        bits[0] = 0x7FC00001; // a NaN with payload
        bits[1] = 0x80000000; // -0
        bits[2] = 0x00000001; // smallest subnormal
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[64,64],\"data_offsets\":[0,16384]}}";
        Path source = RawSafetensors.write(dir.resolve("source.safetensors"), header, RawSafetensors.floatBits(bits));

        assertThat(RawSafetensors.dataSection(loadAndSave(source))).isEqualTo(RawSafetensors.dataSection(source));
    }

    @Test
    void integerRoundTripIsBitIdentical() {
        ByteBuffer data = ByteBuffer.allocate(8 + 4 + 2 + 1 + 1 + 1).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(Long.MIN_VALUE).putInt(-123456).putShort((short) -2).put((byte) -128).put((byte) 255).put((byte) 1);
        String header = "{\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[8,12]},"
                + "\"c\":{\"dtype\":\"I16\",\"shape\":[1],\"data_offsets\":[12,14]},"
                + "\"d\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[14,15]},"
                + "\"e\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[15,16]},"
                + "\"f\":{\"dtype\":\"BOOL\",\"shape\":[1],\"data_offsets\":[16,17]}}";
        Path source = RawSafetensors.write(dir.resolve("source.safetensors"), header, data.array());

        Path copy = loadAndSave(source);

        assertThat(RawSafetensors.dataSection(copy)).isEqualTo(RawSafetensors.dataSection(source));
        assertThat(RawSafetensors.header(copy)).contains("\"c\":{\"dtype\":\"I16\"");
    }

    @Test
    void headerIsCompactJsonPaddedWithSpacesToAMultipleOfEight() {
        Path file = dir.resolve("out.safetensors");
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        tensors.put("b", manager.create(new float[] {1, 2, 3}, new Shape(3)));
        tensors.put("a", manager.create(new float[] {4, 5}, new Shape(1, 2)));

        SafetensorsWriter.write(file, tensors, Map.of("a", DataType.FLOAT16), Map.of("format", "pt"));

        String json = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]},"
                + "\"a\":{\"dtype\":\"F16\",\"shape\":[1,2],\"data_offsets\":[12,16]}}";
        String header = RawSafetensors.header(file);
        assertThat(header.length() % 8).isZero();
        assertThat(header).isEqualTo(json + " ".repeat(header.length() - json.length()));
        assertThat(header.length() - json.length()).isLessThan(8);
        assertThat(RawSafetensors.dataSection(file)).isEqualTo(RawSafetensors.concat(
                RawSafetensors.floats(1, 2, 3), RawSafetensors.shorts((short) 0x4400, (short) 0x4500)));
    }

    @Test
    void narrowsFloat32ToF16AndBf16WithTiesToEven() {
        Path file = dir.resolve("out.safetensors");
        float tieDown = 1 + 0x1p-11f;        // F16 halfway between 0x3C00 and 0x3C01
        float tieUp = 1 + 3 * 0x1p-11f;      // F16 halfway between 0x3C01 and 0x3C02
        float bfTie = Float.intBitsToFloat(0x3F818000); // BF16 halfway between 0x3F81 and 0x3F82
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        tensors.put("h", manager.create(new float[] {tieDown, tieUp}));
        tensors.put("b", manager.create(new float[] {bfTie}));

        SafetensorsWriter.write(file, tensors, Map.of("h", DataType.FLOAT16, "b", DataType.BFLOAT16), null);

        assertThat(RawSafetensors.dataSection(file)).isEqualTo(
                RawSafetensors.shorts((short) 0x3C00, (short) 0x3C02, (short) 0x3F82));
        assertThat(RawSafetensors.header(file)).doesNotContain("__metadata__");
    }

    @Test
    void writtenFileReadsBack() {
        Path file = dir.resolve("out.safetensors");
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        tensors.put("x", manager.create(new float[] {0.5f, -1.25f, 3f, 8f}, new Shape(2, 2)));
        tensors.put("ids", manager.create(new long[] {3, 1, 4}));

        SafetensorsWriter.write(file, tensors, null, Map.of());

        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            assertThat(reader.tensors()).extracting(SafetensorsReader.TensorInfo::name).containsExactly("x", "ids");
            NDArray x = reader.load("x", manager);
            assertThat(x.getShape()).isEqualTo(new Shape(2, 2));
            assertThat(x.toFloatArray()).containsExactly(0.5f, -1.25f, 3f, 8f);
            assertThat(reader.load("ids", manager).toLongArray()).containsExactly(3, 1, 4);
        }
    }

    @Test
    void rejectsFloatArrayStoredAsInteger() {
        Path file = dir.resolve("out.safetensors");
        Map<String, NDArray> tensors = Map.of("w", manager.create(new float[] {1f}));

        assertThatThrownBy(() -> SafetensorsWriter.write(file, tensors, Map.of("w", DataType.INT32), null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("tensor 'w': cannot store a float32 array as I32");
        assertThat(file).doesNotExist();
    }

    @Test
    void failedWriteLeavesTheOldFileIntact() throws Exception {
        Path file = dir.resolve("model.safetensors");
        Files.write(file, new byte[] {1, 2, 3});
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        tensors.put("ok", manager.create(new float[] {1f, 2f}));
        // Its header entry is fine; the failure comes while its data is written, after the header.
        tensors.put("too_big", manager.create(new int[] {70000}));

        assertThatThrownBy(() -> SafetensorsWriter.write(file, tensors, Map.of("too_big", DataType.INT16), null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("tensor 'too_big': value 70000 does not fit in I16");
        assertThat(Files.readAllBytes(file)).containsExactly(1, 2, 3);
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).isEqualTo(List.of("model.safetensors"));
        }
    }

    @Test
    void replacesAnExistingFile() throws Exception {
        Path file = dir.resolve("model.safetensors");
        Files.write(file, new byte[] {1, 2, 3});

        SafetensorsWriter.write(file, Map.of("w", manager.create(new float[] {9f})), null, null);

        assertThat(RawSafetensors.dataSection(file)).isEqualTo(RawSafetensors.floats(9f));
    }
}
