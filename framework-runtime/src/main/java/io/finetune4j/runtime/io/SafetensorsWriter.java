package io.finetune4j.runtime.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune4j.api.Stable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes safetensors files as the Rust crate does: compact JSON header padded with spaces to a multiple
 * of 8 bytes, then the tensors back to back in the map's order. Float32 arrays are narrowed to F16/BF16 in
 * Java with round-to-nearest-even, which is exact for values that were loaded from F16/BF16, so
 * load → save → load is bit-identical. The file appears atomically: written to a temporary sibling,
 * forced to disk, then moved into place.
 */
@Stable
public final class SafetensorsWriter {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CHUNK_ELEMENTS = 1 << 20;

    private SafetensorsWriter() {}

    /**
     * Writes {@code tensors} to {@code file}.
     *
     * @param dtypes stored type per tensor name (FLOAT32, FLOAT16, BFLOAT16, FLOAT64 for floating arrays;
     *     the array's own type for integer and bool arrays, or INT16 for an int32 array); a missing entry
     *     or a null map means the array's own type
     * @param metadata the header's {@code __metadata__}; omitted when null or empty
     * @throws IllegalArgumentException for a tensor that cannot be stored as asked (nothing is written)
     * @throws UncheckedIOException when writing fails; an existing {@code file} is left untouched
     */
    public static void write(Path file, Map<String, NDArray> tensors, Map<String, DataType> dtypes,
                             Map<String, String> metadata) {
        List<Entry> entries = plan(tensors, dtypes);
        byte[] header = header(entries, metadata);
        AtomicFiles.writeAtomically(file, temp -> {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE,
                    StandardOpenOption.CREATE_NEW)) {
                ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
                writeFully(channel, length);
                writeFully(channel, ByteBuffer.wrap(header));
                for (Entry entry : entries) {
                    writeTensor(channel, entry);
                }
                channel.force(true);
            }
        });
    }

    private record Entry(String name, NDArray array, SafetensorsDtype dtype, long[] dims, long begin, long end) {}

    private static List<Entry> plan(Map<String, NDArray> tensors, Map<String, DataType> dtypes) {
        List<Entry> entries = new ArrayList<>();
        long offset = 0;
        for (Map.Entry<String, NDArray> tensor : tensors.entrySet()) {
            String name = tensor.getKey();
            NDArray array = tensor.getValue();
            if (name.equals("__metadata__")) {
                throw new IllegalArgumentException("a tensor cannot be named __metadata__");
            }
            DataType source = array.getDataType();
            DataType wanted = dtypes == null ? null : dtypes.get(name);
            DataType target = wanted == null ? source : wanted;
            SafetensorsDtype dtype = SafetensorsDtype.of(target).orElseThrow(() -> new IllegalArgumentException(
                    "tensor '" + name + "': cannot store " + target + "; supported: " + SafetensorsDtype.headerNames()));
            boolean convertible = target.isFloating() ? source.isFloating()
                    : source == target || (dtype == SafetensorsDtype.I16 && source == DataType.INT32);
            if (!convertible) {
                throw new IllegalArgumentException(String.format(
                        "tensor '%s': cannot store a %s array as %s", name, source, dtype));
            }
            long[] dims = array.getShape().getShape();
            long bytes = Math.multiplyExact(array.size(), dtype.byteSize());
            entries.add(new Entry(name, array, dtype, dims, offset, offset + bytes));
            offset += bytes;
        }
        return entries;
    }

    private static byte[] header(List<Entry> entries, Map<String, String> metadata) {
        ObjectNode root = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = root.putObject("__metadata__");
            new LinkedHashMap<>(metadata).forEach(meta::put);
        }
        for (Entry entry : entries) {
            ObjectNode node = root.putObject(entry.name());
            node.put("dtype", entry.dtype().name());
            ArrayNode shape = node.putArray("shape");
            for (long dim : entry.dims()) {
                shape.add(dim);
            }
            node.putArray("data_offsets").add(entry.begin()).add(entry.end());
        }
        byte[] json;
        try {
            json = JSON.writeValueAsString(root).getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a safetensors header", e);
        }
        // The Rust crate pads with spaces so the data section starts 8-byte aligned.
        int padded = (json.length + 7) / 8 * 8;
        byte[] header = new byte[padded];
        System.arraycopy(json, 0, header, 0, json.length);
        for (int i = json.length; i < padded; i++) {
            header[i] = ' ';
        }
        return header;
    }

    private static void writeTensor(FileChannel channel, Entry entry) throws IOException {
        NDArray array = entry.array();
        DataType source = array.getDataType();
        if (source == entry.dtype().dataType()) {
            // Same type: the bytes as they are, only brought to little-endian.
            ByteBuffer bytes = array.toByteBuffer().order(ByteOrder.nativeOrder());
            writeFully(channel, toLittleEndian(bytes, entry.dtype().byteSize()));
            return;
        }
        if (entry.dtype() == SafetensorsDtype.I16) {
            writeNarrowedInt16(channel, entry);
            return;
        }
        float[] values = floats(array, entry.name());
        ByteBuffer out = ByteBuffer.allocate(Math.min(values.length, CHUNK_ELEMENTS) * entry.dtype().byteSize())
                .order(ByteOrder.LITTLE_ENDIAN);
        for (float value : values) {
            switch (entry.dtype()) {
                case F64 -> out.putDouble(value);
                case F32 -> out.putFloat(value);
                case F16 -> out.putShort(HalfPrecision.floatToF16(value));
                case BF16 -> out.putShort(HalfPrecision.floatToBf16(value));
                default -> throw new IllegalStateException("unexpected target " + entry.dtype());
            }
            if (!out.hasRemaining()) {
                writeFully(channel, out.flip());
                out.clear();
            }
        }
        if (out.position() > 0) {
            writeFully(channel, out.flip());
        }
    }

    /** I16 tensors live as int32 arrays (an INT16 array aborts the JVM); narrowed back here, range-checked. */
    private static void writeNarrowedInt16(FileChannel channel, Entry entry) throws IOException {
        int[] values = entry.array().toIntArray();
        ByteBuffer out = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int value : values) {
            if (value < Short.MIN_VALUE || value > Short.MAX_VALUE) {
                throw new IllegalArgumentException(String.format(
                        "tensor '%s': value %d does not fit in I16", entry.name(), value));
            }
            out.putShort((short) value);
        }
        writeFully(channel, out.flip());
    }

    /** The array's values as float32, without DJL casts (a BFLOAT16 cast aborts the JVM on CPU). */
    private static float[] floats(NDArray array, String name) {
        DataType type = array.getDataType();
        if (type == DataType.FLOAT32) {
            return array.toFloatArray();
        }
        ByteBuffer bytes = array.toByteBuffer().order(ByteOrder.nativeOrder());
        float[] values = new float[Math.toIntExact(array.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = switch (type) {
                case FLOAT64 -> (float) bytes.getDouble();
                case FLOAT16 -> HalfPrecision.f16ToFloat(bytes.getShort());
                case BFLOAT16 -> HalfPrecision.bf16ToFloat(bytes.getShort());
                default -> throw new IllegalArgumentException("tensor '" + name + "': " + type + " is not floating");
            };
        }
        return values;
    }

    private static ByteBuffer toLittleEndian(ByteBuffer bytes, int elementSize) {
        if (elementSize == 1 || bytes.order() == ByteOrder.LITTLE_ENDIAN) {
            return bytes;
        }
        ByteBuffer out = ByteBuffer.allocate(bytes.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        while (bytes.hasRemaining()) {
            switch (elementSize) {
                case 2 -> out.putShort(bytes.getShort());
                case 4 -> out.putInt(bytes.getInt());
                default -> out.putLong(bytes.getLong());
            }
        }
        return out.flip();
    }

    private static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }
}
