package io.finetune4j.runtime.io.gguf;

import io.finetune4j.api.ConfigException;
import io.finetune4j.runtime.io.HalfPrecision;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A GGUF file read by {@link GgufReader}: its version, metadata in file order, tensor infos in file order, and the
 * tensors' values on request, decoded from F32, F16 or Q8_0 to float32.
 *
 * @param dataStart the absolute file offset of the tensor data section
 */
public record GgufFile(Path path, long version, Map<String, GgufValue> metadata, List<GgufTensorInfo> tensors,
                       int alignment, long dataStart) {
    public GgufFile {
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        tensors = List.copyOf(tensors);
    }

    /** The value of {@code key}, if the file has it. */
    public Optional<GgufValue> value(String key) {
        return Optional.ofNullable(metadata.get(key));
    }

    /** The value of {@code key}; a {@link ConfigException} names the file and key when it is missing. */
    public GgufValue require(String key) {
        GgufValue value = metadata.get(key);
        if (value == null) {
            throw new ConfigException(path + ": metadata key " + key + " is missing");
        }
        return value;
    }

    /** The tensor called {@code name}, if any. */
    public Optional<GgufTensorInfo> tensor(String name) {
        return tensors.stream().filter(info -> info.name().equals(name)).findFirst();
    }

    /** The float32 values of {@code tensor}, row-major. */
    public float[] read(GgufTensorInfo tensor) {
        long size = tensor.byteSize();
        if (size > Integer.MAX_VALUE) {
            throw new ConfigException(path + ": tensor " + tensor.name() + " holds " + size
                    + " bytes; tensors over 2 GiB are not supported");
        }
        byte[] bytes = new byte[(int) size];
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            long position = dataStart + tensor.offset();
            while (buffer.hasRemaining()) {
                int read = channel.read(buffer, position + buffer.position());
                if (read < 0) {
                    throw new ConfigException(String.format("%s: tensor %s: the file ends before its %d bytes at offset %d",
                            path, tensor.name(), size, position));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path + ": " + e.getMessage(), e);
        }
        return decode(tensor.type(), bytes, Math.toIntExact(tensor.elements()));
    }

    /** The float32 values of the tensor called {@code name}; a {@link ConfigException} names a missing one. */
    public float[] read(String name) {
        return read(tensor(name).orElseThrow(() -> new ConfigException(path + ": no tensor named " + name)));
    }

    static float[] decode(GgufTensorType type, byte[] bytes, int count) {
        return switch (type) {
            case F32 -> {
                float[] values = new float[count];
                ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
                yield values;
            }
            case F16 -> {
                float[] values = new float[count];
                for (int i = 0; i < count; i++) {
                    values[i] = HalfPrecision.f16ToFloat((short) ((bytes[2 * i] & 0xff) | (bytes[2 * i + 1] & 0xff) << 8));
                }
                yield values;
            }
            case Q8_0 -> Q80Codec.decode(bytes, 0, count);
        };
    }
}
