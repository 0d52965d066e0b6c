package io.finetune4j.runtime.io.gguf;

import io.finetune4j.runtime.io.AtomicFiles;
import io.finetune4j.runtime.io.HalfPrecision;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a GGUF v3 file (docs/gguf.md), little-endian: magic {@code GGUF}, version 3, tensor count, metadata
 * count, the metadata key/values, the tensor infos (name, dimensions in ggml order, type, offset), padding to
 * {@code general.alignment} (32 when absent), then each tensor's data padded to the alignment. The file is written
 * to a temporary sibling and moved into place.
 */
public final class GgufWriter {
    public static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian uint32
    public static final int VERSION = 3;
    public static final int DEFAULT_ALIGNMENT = 32;
    public static final String ALIGNMENT_KEY = "general.alignment";

    private GgufWriter() {}

    /** Writes {@code metadata} (in map order) and {@code tensors} (in list order) to {@code file}. */
    public static void write(Path file, Map<String, GgufValue> metadata, List<GgufTensor> tensors) {
        int alignment = alignment(metadata);
        Set<String> names = new HashSet<>();
        for (GgufTensor tensor : tensors) {
            if (!names.add(tensor.name())) {
                throw new IllegalArgumentException(file + ": tensor " + tensor.name() + " appears twice");
            }
        }
        AtomicFiles.writeAtomically(file, temp -> {
            try (OutputStream stream = new BufferedOutputStream(Files.newOutputStream(temp), 1 << 20)) {
                Out out = new Out(stream);
                out.u32(MAGIC);
                out.u32(VERSION);
                out.u64(tensors.size());
                out.u64(metadata.size());
                for (Map.Entry<String, GgufValue> entry : metadata.entrySet()) {
                    out.string(entry.getKey());
                    out.u32(entry.getValue().type().id());
                    value(out, entry.getValue());
                }
                long offset = 0;
                for (GgufTensor tensor : tensors) {
                    long[] shape = tensor.shape();
                    out.string(tensor.name());
                    out.u32(shape.length);
                    for (int i = shape.length - 1; i >= 0; i--) {
                        out.u64(shape[i]); // ggml's ne[0] is the innermost (row) dimension
                    }
                    out.u32(tensor.type().id());
                    out.u64(offset);
                    offset = pad(offset + tensor.type().byteSize(tensor.elements()), alignment);
                }
                out.zeros(pad(out.written, alignment) - out.written);
                for (GgufTensor tensor : tensors) {
                    float[] values = tensor.values().get();
                    if (values.length != tensor.elements()) {
                        throw new IllegalArgumentException(String.format("%s: tensor %s has %d values, its shape needs %d",
                                file, tensor.name(), values.length, tensor.elements()));
                    }
                    long before = out.written;
                    out.bytes(encode(tensor.type(), values));
                    long size = out.written - before;
                    out.zeros(pad(size, alignment) - size);
                }
            }
        });
    }

    /** {@code values} in {@code type}'s encoding, little-endian. */
    public static byte[] encode(GgufTensorType type, float[] values) {
        return switch (type) {
            case F32 -> {
                ByteBuffer buffer = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                buffer.asFloatBuffer().put(values);
                yield buffer.array();
            }
            case F16 -> {
                byte[] bytes = new byte[values.length * 2];
                for (int i = 0; i < values.length; i++) {
                    short half = HalfPrecision.floatToF16(values[i]);
                    bytes[2 * i] = (byte) half;
                    bytes[2 * i + 1] = (byte) (half >>> 8);
                }
                yield bytes;
            }
            case Q8_0 -> Q80Codec.encode(values);
        };
    }

    static int alignment(Map<String, GgufValue> metadata) {
        GgufValue value = metadata.get(ALIGNMENT_KEY);
        if (value == null) {
            return DEFAULT_ALIGNMENT;
        }
        long alignment = value.asLong();
        if (value.type() != GgufValueType.UINT32 || alignment <= 0 || alignment % 8 != 0) {
            throw new IllegalArgumentException(ALIGNMENT_KEY + ": must be a UINT32 multiple of 8, was " + value);
        }
        return (int) alignment;
    }

    static long pad(long offset, int alignment) {
        return (offset + alignment - 1) / alignment * alignment;
    }

    private static void value(Out out, GgufValue value) throws IOException {
        switch (value.type()) {
            case UINT8, INT8 -> out.bytes(new byte[] {(byte) value.asLong()});
            case UINT16, INT16 -> out.le(value.asLong(), 2);
            case UINT32, INT32 -> out.le(value.asLong(), 4);
            case UINT64, INT64 -> out.u64(value.asLong());
            case FLOAT32 -> out.le(Float.floatToRawIntBits((float) value.asDouble()), 4);
            case FLOAT64 -> out.u64(Double.doubleToRawLongBits(value.asDouble()));
            case BOOL -> out.bytes(new byte[] {(byte) (value.asBoolean() ? 1 : 0)});
            case STRING -> out.string(value.asString());
            case ARRAY -> {
                List<GgufValue> items = value.asList();
                out.u32(value.elementType().id());
                out.u64(items.size());
                for (GgufValue item : items) {
                    value(out, item); // an element that is an array writes its own type and length
                }
            }
        }
    }

    /** A little-endian sink that counts what it wrote. */
    private static final class Out {
        private final OutputStream stream;
        private final byte[] scratch = new byte[8];
        long written;

        Out(OutputStream stream) {
            this.stream = stream;
        }

        void le(long value, int width) throws IOException {
            for (int i = 0; i < width; i++) {
                scratch[i] = (byte) (value >>> (8 * i));
            }
            stream.write(scratch, 0, width);
            written += width;
        }

        void u32(long value) throws IOException {
            le(value, 4);
        }

        void u64(long value) throws IOException {
            le(value, 8);
        }

        void string(String text) throws IOException {
            byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
            u64(utf8.length);
            bytes(utf8);
        }

        void bytes(byte[] bytes) throws IOException {
            stream.write(bytes);
            written += bytes.length;
        }

        void zeros(long count) throws IOException {
            for (long i = 0; i < count; i++) {
                stream.write(0);
            }
            written += count;
        }
    }
}
