package io.finetune4j.runtime.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.Stable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads a safetensors file (https://github.com/huggingface/safetensors): an 8-byte little-endian header
 * length, a UTF-8 JSON header, then the data section. Files are treated as untrusted: the header is
 * bounded and fully validated when the file is opened (known dtypes, sizes that match shapes without
 * overflow, ranges inside the data section that do not overlap), and tensor bytes are read from exactly
 * the validated range. Every problem is a {@link ConfigException} naming the file and the tensor.
 *
 * <p>Floating tensors (F64, F32, F16, BF16) load as float32; integer and bool tensors keep their type,
 * except I16, which loads as int32 (see {@link SafetensorsDtype#loadedType()}).
 */
@Stable
public final class SafetensorsReader implements AutoCloseable {
    /** Largest header accepted, as the Rust safetensors crate does (100 MB). */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private final Path file;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, String> metadata;
    private final Map<String, TensorInfo> tensors;

    /**
     * One tensor of the header.
     *
     * @param begin offset of its first byte, relative to the data section
     * @param end offset after its last byte, relative to the data section
     */
    public record TensorInfo(String name, SafetensorsDtype dtype, Shape shape, long begin, long end) {
        public long byteSize() {
            return end - begin;
        }
    }

    private SafetensorsReader(Path file, FileChannel channel, long dataStart, Map<String, String> metadata,
                              Map<String, TensorInfo> tensors) {
        this.file = file;
        this.channel = channel;
        this.dataStart = dataStart;
        this.metadata = metadata;
        this.tensors = tensors;
    }

    /** Opens and validates {@code file}; tensor bytes are read later, on demand. */
    public static SafetensorsReader open(Path file) {
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": file not found", e);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot open: " + e.getMessage(), e);
        }
        try {
            return read(file, channel);
        } catch (RuntimeException e) {
            closeQuietly(channel, e);
            throw e;
        }
    }

    private static SafetensorsReader read(Path file, FileChannel channel) {
        try {
            long fileSize = channel.size();
            if (fileSize < 8) {
                throw new ConfigException(String.format(
                        "%s: %d bytes is too short for a safetensors file (it starts with an 8-byte header length)",
                        file, fileSize));
            }
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lengthBytes, 0);
            long headerLength = lengthBytes.getLong(0);
            if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
                throw new ConfigException(String.format("%s: header length %s exceeds the limit of %d bytes",
                        file, Long.toUnsignedString(headerLength), MAX_HEADER_BYTES));
            }
            if (headerLength > fileSize - 8) {
                throw new ConfigException(String.format(
                        "%s: header length %d exceeds the %d bytes that follow it (file truncated?)",
                        file, headerLength, fileSize - 8));
            }
            ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
            readFully(channel, headerBytes, 8);
            long dataStart = 8 + headerLength;
            SafetensorsHeader.Parsed header = SafetensorsHeader.parse(file, headerBytes.array(), fileSize - dataStart);
            Map<String, String> metadata = header.metadata();
            List<TensorInfo> infos = header.tensors();
            List<TensorInfo> inFileOrder = checkOverlaps(file, infos);
            Map<String, TensorInfo> tensors = new LinkedHashMap<>();
            inFileOrder.forEach(info -> tensors.put(info.name(), info));
            return new SafetensorsReader(file, channel, dataStart, metadata, Collections.unmodifiableMap(tensors));
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Sorts by offset and rejects two tensors that share a byte; empty tensors hold no bytes. */
    private static List<TensorInfo> checkOverlaps(Path file, List<TensorInfo> infos) {
        List<TensorInfo> sorted = new ArrayList<>(infos);
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        TensorInfo previous = null;
        for (TensorInfo info : sorted) {
            if (info.byteSize() == 0) {
                continue;
            }
            if (previous != null && info.begin() < previous.end()) {
                throw new ConfigException(String.format(
                        "%s: tensor '%s': data_offsets [%d, %d] overlap tensor '%s' at [%d, %d]",
                        file, info.name(), info.begin(), info.end(), previous.name(), previous.begin(), previous.end()));
            }
            previous = info;
        }
        return sorted;
    }

    public Path file() {
        return file;
    }

    /** The header's {@code __metadata__} (empty when absent), e.g. {@code {"format": "pt"}}. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Every tensor, in file order (by offset). */
    public List<TensorInfo> tensors() {
        return List.copyOf(tensors.values());
    }

    public Optional<TensorInfo> info(String name) {
        return Optional.ofNullable(tensors.get(name));
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /**
     * Loads tensor {@code name} into {@code manager} as {@link SafetensorsDtype#loadedType()}: float32 for
     * floating dtypes (F16 and BF16 widened exactly), the stored type for integer and bool tensors.
     */
    public NDArray load(String name, NDManager manager) {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw new ConfigException(String.format("%s: no tensor '%s'", file, name));
        }
        String where = String.format("%s: tensor '%s'", file, name);
        DataType type = info.dtype().loadedType();
        // Java buffers and DJL's array creation are int-indexed; validation bounded the size by the file's.
        long outputBytes = info.shape().size() * type.getNumOfBytes();
        if (info.byteSize() > Integer.MAX_VALUE - 8 || outputBytes > Integer.MAX_VALUE - 8) {
            throw new ConfigException(String.format("%s: %d bytes as %s; tensors over 2 GiB are not supported",
                    where, outputBytes, type));
        }
        int elements = (int) info.shape().size();
        ByteBuffer raw = ByteBuffer.allocateDirect((int) info.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        try {
            readFully(channel, raw, dataStart + info.begin());
        } catch (IOException e) {
            throw new ConfigException(where + ": cannot read its bytes: " + e.getMessage(), e);
        }
        raw.flip();
        return manager.create(toNative(info.dtype(), raw, elements), info.shape(), type);
    }

    /** Loads every tensor, in file order. On failure, the arrays loaded so far are closed. */
    public Map<String, NDArray> loadAll(NDManager manager) {
        Map<String, NDArray> arrays = new LinkedHashMap<>();
        try {
            for (String name : tensors.keySet()) {
                arrays.put(name, load(name, manager));
            }
        } catch (RuntimeException e) {
            arrays.values().forEach(NDArray::close);
            throw e;
        }
        return arrays;
    }

    /** Little-endian file bytes → a direct native-order buffer of the loaded type. */
    private static ByteBuffer toNative(SafetensorsDtype dtype, ByteBuffer raw, int elements) {
        boolean littleEndian = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
        boolean sameLayout = dtype.loadedType() == dtype.dataType() && (littleEndian || dtype.byteSize() == 1);
        if (sameLayout) {
            return raw.order(ByteOrder.nativeOrder());
        }
        ByteBuffer out = ByteBuffer.allocateDirect(elements * dtype.loadedType().getNumOfBytes())
                .order(ByteOrder.nativeOrder());
        for (int i = 0; i < elements; i++) {
            switch (dtype) {
                case F64 -> out.putFloat((float) raw.getDouble());
                case F32 -> out.putFloat(raw.getFloat());
                case F16 -> out.putFloat(HalfPrecision.f16ToFloat(raw.getShort()));
                case BF16 -> out.putFloat(HalfPrecision.bf16ToFloat(raw.getShort()));
                case I64 -> out.putLong(raw.getLong());
                case I32 -> out.putInt(raw.getInt());
                case I16 -> out.putInt(raw.getShort());
                default -> throw new IllegalStateException("unexpected dtype " + dtype);
            }
        }
        return out.flip();
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        long at = position;
        while (buffer.hasRemaining()) {
            int read = channel.read(buffer, at);
            if (read < 0) {
                throw new IOException("unexpected end of file at byte " + at + " (file changed while reading?)");
            }
            at += read;
        }
    }

    private static void closeQuietly(FileChannel channel, Exception failure) {
        try {
            channel.close();
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close " + file, e);
        }
    }
}
