package io.finetune4j.runtime.gguf;

import io.finetune4j.api.ConfigException;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a GGUF file (llama.cpp's model format, versions 2 and 3): header, metadata, tensor infos, and
 * the data of F32, F16 and BF16 tensors. Layout as in ggml's {@code docs/gguf.md}: magic {@code GGUF},
 * {@code uint32} version, {@code uint64} tensor and metadata counts, metadata key/values, tensor infos,
 * padding to {@code general.alignment} (default 32), then the tensor data. Everything little-endian.
 *
 * <p>GGUF lists a tensor's dimensions fastest-varying first ({@code ne[0]} is the row length), the
 * reverse of numpy/PyTorch order: a Hugging Face {@code [out, in]} weight is stored with dims
 * {@code [in, out]}. {@link TensorInfo#shape()} gives the row-major (numpy) order.
 *
 * <p>Metadata values map to Java as: u8/u16 → Integer, i8 → Byte, i16 → Short, u32 → Long, i32 →
 * Integer, u64/i64 → Long (u64 above {@code Long.MAX_VALUE} reads negative), f32 → Float, f64 → Double,
 * bool → Boolean, string → String, array → unmodifiable List of those.
 */
public final class GgufReader {
    /** {@code "GGUF"} read as a little-endian uint32. */
    static final int MAGIC = 0x46554747;
    static final int DEFAULT_ALIGNMENT = 32;

    /** ggml_type ids of the tensor types this reader converts to float. */
    static final int TYPE_F32 = 0;
    static final int TYPE_F16 = 1;
    static final int TYPE_BF16 = 30;

    // gguf_metadata_value_type
    static final int VALUE_UINT8 = 0;
    static final int VALUE_INT8 = 1;
    static final int VALUE_UINT16 = 2;
    static final int VALUE_INT16 = 3;
    static final int VALUE_UINT32 = 4;
    static final int VALUE_INT32 = 5;
    static final int VALUE_FLOAT32 = 6;
    static final int VALUE_BOOL = 7;
    static final int VALUE_STRING = 8;
    static final int VALUE_ARRAY = 9;
    static final int VALUE_UINT64 = 10;
    static final int VALUE_INT64 = 11;
    static final int VALUE_FLOAT64 = 12;

    /**
     * One tensor's header.
     *
     * @param dims as stored: fastest-varying first
     * @param type ggml_type id
     * @param offset of the data, relative to {@link #dataOffset()}
     */
    public record TensorInfo(String name, long[] dims, int type, long offset) {
        public TensorInfo {
            dims = dims.clone();
        }

        @Override
        public long[] dims() {
            return dims.clone();
        }

        /** Row-major (numpy / PyTorch / safetensors) shape: {@link #dims()} reversed. */
        public long[] shape() {
            long[] shape = new long[dims.length];
            for (int i = 0; i < dims.length; i++) {
                shape[i] = dims[dims.length - 1 - i];
            }
            return shape;
        }

        public long elementCount() {
            long count = 1;
            for (long dim : dims) {
                count = Math.multiplyExact(count, dim);
            }
            return count;
        }
    }

    private final Path file;
    private final int version;
    private final Map<String, Object> metadata;
    private final Map<String, TensorInfo> tensors;
    private final int alignment;
    private final long dataOffset;

    private GgufReader(Path file, int version, Map<String, Object> metadata, Map<String, TensorInfo> tensors,
                       int alignment, long dataOffset) {
        this.file = file;
        this.version = version;
        this.metadata = metadata;
        this.tensors = tensors;
        this.alignment = alignment;
        this.dataOffset = dataOffset;
    }

    /** Parses the header of {@code file}; a malformed file is a {@link ConfigException} naming it. */
    public static GgufReader open(Path file) {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read GGUF file: " + e.getMessage(), e);
        }
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            return parse(file, new LittleEndianInput(in, file, size), size);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read GGUF file: " + e.getMessage(), e);
        }
    }

    private static GgufReader parse(Path file, LittleEndianInput in, long fileSize) throws IOException {
        int magic = in.int32();
        if (magic != MAGIC) {
            throw new ConfigException(String.format("%s: not a GGUF file (magic 0x%08x, expected 0x%08x \"GGUF\")",
                    file, magic, MAGIC));
        }
        int version = in.int32();
        if (version != 2 && version != 3) {
            throw new ConfigException(file + ": GGUF version " + Integer.toUnsignedString(version)
                    + " is not supported; supported: 2, 3");
        }
        long tensorCount = in.int64();
        long metadataCount = in.int64();
        // Every entry takes at least 8 bytes, so counts beyond the file size are corrupt, not large.
        if (tensorCount < 0 || tensorCount > fileSize / 8 || metadataCount < 0 || metadataCount > fileSize / 8) {
            throw new ConfigException(file + ": implausible GGUF counts (tensors " + Long.toUnsignedString(tensorCount)
                    + ", metadata " + Long.toUnsignedString(metadataCount) + ") for a file of " + fileSize + " bytes");
        }
        Map<String, Object> metadata = new LinkedHashMap<>();
        for (long i = 0; i < metadataCount; i++) {
            String key = in.string();
            int type = in.int32();
            Object value = readValue(in, type, key);
            if (metadata.put(key, value) != null) {
                throw new ConfigException(file + ": duplicate GGUF metadata key '" + key + "'");
            }
        }
        int alignment = DEFAULT_ALIGNMENT;
        Object alignmentValue = metadata.get("general.alignment");
        if (alignmentValue != null) {
            long value = alignmentValue instanceof Number number ? number.longValue() : -1;
            if (value <= 0 || value > (1 << 30) || (value & (value - 1)) != 0) {
                throw new ConfigException(file + ": general.alignment must be a positive power of two, was " + alignmentValue);
            }
            alignment = (int) value;
        }
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (long i = 0; i < tensorCount; i++) {
            String name = in.string();
            int dimCount = in.int32();
            if (dimCount < 1 || dimCount > 8) {
                throw new ConfigException(file + ": tensor '" + name + "' has " + dimCount + " dimensions; allowed 1..8");
            }
            long[] dims = new long[dimCount];
            for (int d = 0; d < dimCount; d++) {
                dims[d] = in.int64();
                if (dims[d] <= 0) {
                    throw new ConfigException(file + ": tensor '" + name + "' has dimension " + d + " = "
                            + Long.toUnsignedString(dims[d]) + "; must be positive");
                }
            }
            int type = in.int32();
            long offset = in.int64();
            if (offset < 0 || offset % alignment != 0) {
                throw new ConfigException(file + ": tensor '" + name + "' offset " + Long.toUnsignedString(offset)
                        + " is not a multiple of the alignment " + alignment);
            }
            if (tensors.put(name, new TensorInfo(name, dims, type, offset)) != null) {
                throw new ConfigException(file + ": duplicate tensor '" + name + "'");
            }
        }
        long dataOffset = align(in.position(), alignment);
        GgufReader reader = new GgufReader(file, version, Collections.unmodifiableMap(metadata),
                Collections.unmodifiableMap(tensors), alignment, dataOffset);
        for (TensorInfo info : tensors.values()) {
            long bytes = reader.byteSize(info);
            if (bytes >= 0 && dataOffset + info.offset() + bytes > fileSize) {
                throw new ConfigException(file + ": tensor '" + info.name() + "' (" + bytes + " bytes at data offset "
                        + info.offset() + ") runs past the end of the file (" + fileSize + " bytes)");
            }
        }
        return reader;
    }

    private static Object readValue(LittleEndianInput in, int type, String key) throws IOException {
        return switch (type) {
            case VALUE_UINT8 -> in.int8() & 0xff;
            case VALUE_INT8 -> in.int8();
            case VALUE_UINT16 -> in.int16() & 0xffff;
            case VALUE_INT16 -> in.int16();
            case VALUE_UINT32 -> in.int32() & 0xffffffffL;
            case VALUE_INT32 -> in.int32();
            case VALUE_FLOAT32 -> Float.intBitsToFloat(in.int32());
            case VALUE_BOOL -> {
                byte b = in.int8();
                if (b != 0 && b != 1) {
                    throw new ConfigException(in.file() + ": metadata '" + key + "': bool byte " + b + " is neither 0 nor 1");
                }
                yield b == 1;
            }
            case VALUE_STRING -> in.string();
            case VALUE_ARRAY -> {
                int elementType = in.int32();
                long count = in.int64();
                if (count < 0 || count > in.remaining()) {
                    throw new ConfigException(in.file() + ": metadata '" + key + "': array of "
                            + Long.toUnsignedString(count) + " elements does not fit in the file");
                }
                List<Object> values = new ArrayList<>((int) count);
                for (long i = 0; i < count; i++) {
                    values.add(readValue(in, elementType, key));
                }
                yield Collections.unmodifiableList(values);
            }
            case VALUE_UINT64, VALUE_INT64 -> in.int64();
            case VALUE_FLOAT64 -> Double.longBitsToDouble(in.int64());
            default -> throw new ConfigException(in.file() + ": metadata '" + key + "' has unknown value type " + type);
        };
    }

    static long align(long position, int alignment) {
        long rest = position % alignment;
        return rest == 0 ? position : position + alignment - rest;
    }

    public Path file() {
        return file;
    }

    public int version() {
        return version;
    }

    /** Every metadata key/value, in file order. */
    public Map<String, Object> metadata() {
        return metadata;
    }

    /** Tensor infos by name, in file order. */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    public int alignment() {
        return alignment;
    }

    /** Absolute file offset where tensor data starts. */
    public long dataOffset() {
        return dataOffset;
    }

    public boolean has(String key) {
        return metadata.containsKey(key);
    }

    /** An integer-typed metadata value; {@link ConfigException} when absent or not an integer. */
    public long getLong(String key) {
        Object value = require(key);
        if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        throw new ConfigException(file + ": metadata '" + key + "' is " + describe(value) + ", expected an integer");
    }

    /** A float- or integer-typed metadata value as a double. */
    public double getDouble(String key) {
        Object value = require(key);
        if (value instanceof Number number) {
            return number.doubleValue();
        }
        throw new ConfigException(file + ": metadata '" + key + "' is " + describe(value) + ", expected a number");
    }

    public double getDouble(String key, double fallback) {
        return has(key) ? getDouble(key) : fallback;
    }

    public String getString(String key) {
        Object value = require(key);
        if (value instanceof String text) {
            return text;
        }
        throw new ConfigException(file + ": metadata '" + key + "' is " + describe(value) + ", expected a string");
    }

    public List<?> getArray(String key) {
        Object value = require(key);
        if (value instanceof List<?> list) {
            return list;
        }
        throw new ConfigException(file + ": metadata '" + key + "' is " + describe(value) + ", expected an array");
    }

    public TensorInfo tensor(String name) {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw new ConfigException(file + ": no tensor '" + name + "'");
        }
        return info;
    }

    /** A tensor's elements as float, row-major in {@link TensorInfo#shape()} order. */
    public float[] readFloats(String name) {
        TensorInfo info = tensor(name);
        long bytes = byteSize(info);
        if (bytes < 0) {
            throw new ConfigException(file + ": tensor '" + name + "' has ggml type " + info.type()
                    + "; only F32 (0), F16 (1) and BF16 (30) can be read");
        }
        if (bytes > Integer.MAX_VALUE) {
            throw new ConfigException(file + ": tensor '" + name + "' is too large to read at once (" + bytes + " bytes)");
        }
        ByteBuffer buffer = ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long position = dataOffset + info.offset();
            while (buffer.hasRemaining()) {
                int read = channel.read(buffer, position + buffer.position());
                if (read < 0) {
                    throw new EOFException("end of file inside tensor '" + name + "'");
                }
            }
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read tensor '" + name + "': " + e.getMessage(), e);
        }
        buffer.flip();
        float[] values = new float[(int) info.elementCount()];
        switch (info.type()) {
            case TYPE_F32 -> buffer.asFloatBuffer().get(values);
            case TYPE_F16 -> {
                for (int i = 0; i < values.length; i++) {
                    values[i] = halfToFloat(buffer.getShort());
                }
            }
            case TYPE_BF16 -> {
                for (int i = 0; i < values.length; i++) {
                    values[i] = Float.intBitsToFloat((buffer.getShort() & 0xffff) << 16);
                }
            }
            default -> throw new IllegalStateException("unreachable: type " + info.type());
        }
        return values;
    }

    /** Bytes of a tensor's data, or -1 for a type this reader cannot convert (quantized types). */
    long byteSize(TensorInfo info) {
        return switch (info.type()) {
            case TYPE_F32 -> Math.multiplyExact(info.elementCount(), 4L);
            case TYPE_F16, TYPE_BF16 -> Math.multiplyExact(info.elementCount(), 2L);
            default -> -1;
        };
    }

    /** IEEE 754 binary16 to float, including subnormals, infinities and NaN (Java 17 has no Float.float16ToFloat). */
    static float halfToFloat(short half) {
        int bits = half & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            // Subnormal (or zero): mantissa × 2^-24, exact in float.
            float magnitude = mantissa * 0x1p-24f;
            return sign == 0 ? magnitude : -magnitude;
        }
        return Float.intBitsToFloat(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
    }

    private Object require(String key) {
        Object value = metadata.get(key);
        if (value == null) {
            throw new ConfigException(file + ": missing GGUF metadata '" + key + "'");
        }
        return value;
    }

    private static String describe(Object value) {
        String text = value instanceof List<?> list ? "an array of " + list.size() : String.valueOf(value);
        return text + " (" + value.getClass().getSimpleName() + ")";
    }

    @Override
    public String toString() {
        return "GgufReader[" + file + ", v" + version + ", " + tensors.size() + " tensors, "
                + metadata.size() + " metadata keys]";
    }

    /** Little-endian primitives over a stream, with the position kept for the alignment padding. */
    private static final class LittleEndianInput {
        private final InputStream in;
        private final Path file;
        private final long size;
        private final byte[] scratch = new byte[8];
        private long position;

        LittleEndianInput(InputStream in, Path file, long size) {
            this.in = in;
            this.file = file;
            this.size = size;
        }

        Path file() {
            return file;
        }

        long position() {
            return position;
        }

        long remaining() {
            return size - position;
        }

        byte int8() throws IOException {
            fill(scratch, 1);
            return scratch[0];
        }

        short int16() throws IOException {
            fill(scratch, 2);
            return (short) ((scratch[0] & 0xff) | (scratch[1] & 0xff) << 8);
        }

        int int32() throws IOException {
            fill(scratch, 4);
            return ByteBuffer.wrap(scratch, 0, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        }

        long int64() throws IOException {
            fill(scratch, 8);
            return ByteBuffer.wrap(scratch, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        }

        String string() throws IOException {
            long length = int64();
            if (length < 0 || length > remaining()) {
                throw new ConfigException(file + ": string of " + Long.toUnsignedString(length)
                        + " bytes at offset " + (position - 8) + " does not fit in the file");
            }
            byte[] bytes = new byte[(int) length];
            fill(bytes, bytes.length);
            try {
                return StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                throw new ConfigException(file + ": string at offset " + (position - length) + " is not valid UTF-8: "
                        + Arrays.toString(Arrays.copyOf(bytes, Math.min(bytes.length, 16))), e);
            }
        }

        private void fill(byte[] target, int length) throws IOException {
            int done = 0;
            while (done < length) {
                int read = in.read(target, done, length - done);
                if (read < 0) {
                    throw new ConfigException(file + ": GGUF header is truncated at offset " + (position + done));
                }
                done += read;
            }
            position += length;
        }
    }
}
