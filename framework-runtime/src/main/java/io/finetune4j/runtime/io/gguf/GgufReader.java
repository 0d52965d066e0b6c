package io.finetune4j.runtime.io.gguf;

import io.finetune4j.api.ConfigException;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads the header, metadata and tensor infos of a GGUF file (versions 2 and 3, little-endian; docs/gguf.md); the
 * tensor data stays on disk until {@link GgufFile#read} asks for it. Every problem is a {@link ConfigException}
 * naming the file and the key or tensor at fault.
 */
public final class GgufReader {
    /** Far above any real key or token; guards against reading a corrupt length as a huge allocation. */
    private static final long MAX_STRING = 1 << 26;

    private GgufReader() {}

    public static GgufFile read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ConfigException(file + ": no such GGUF file");
        }
        long fileSize;
        try (In in = new In(file, new BufferedInputStream(Files.newInputStream(file), 1 << 20))) {
            fileSize = Files.size(file);
            long magic = in.u32("magic");
            if (magic != GgufWriter.MAGIC) {
                throw new ConfigException(String.format(Locale.ROOT, "%s: not a GGUF file (magic 0x%08x, expected "
                        + "0x%08x \"GGUF\")", file, magic, GgufWriter.MAGIC));
            }
            long version = in.u32("version");
            if (version != 2 && version != 3) {
                throw new ConfigException(file + ": GGUF version " + version + " is not supported; supported: 2, 3");
            }
            long tensorCount = in.u64("tensor_count");
            long metadataCount = in.u64("metadata_kv_count");
            if (tensorCount < 0 || metadataCount < 0 || tensorCount > fileSize || metadataCount > fileSize) {
                throw new ConfigException(file + ": corrupt header: " + tensorCount + " tensors, " + metadataCount
                        + " metadata entries in a file of " + fileSize + " bytes");
            }
            Map<String, GgufValue> metadata = new LinkedHashMap<>();
            for (long i = 0; i < metadataCount; i++) {
                String key = in.string("metadata key #" + i);
                GgufValueType type = in.valueType(key);
                if (metadata.put(key, in.value(type, key)) != null) {
                    throw new ConfigException(file + ": metadata key " + key + " appears twice");
                }
            }
            int alignment;
            try {
                alignment = GgufWriter.alignment(metadata);
            } catch (RuntimeException e) {
                throw new ConfigException(file + ": " + e.getMessage(), e);
            }
            List<GgufTensorInfo> tensors = new ArrayList<>();
            for (long i = 0; i < tensorCount; i++) {
                tensors.add(tensorInfo(in, file, i, alignment));
            }
            long dataStart = GgufWriter.pad(in.position, alignment);
            for (GgufTensorInfo tensor : tensors) {
                if (dataStart + tensor.offset() + tensor.byteSize() > fileSize) {
                    throw new ConfigException(String.format(Locale.ROOT, "%s: tensor %s: its %d bytes at data offset "
                            + "%d run past the end of the file (%d bytes)", file, tensor.name(), tensor.byteSize(),
                            tensor.offset(), fileSize));
                }
            }
            return new GgufFile(file, version, metadata, tensors, alignment, dataStart);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static GgufTensorInfo tensorInfo(In in, Path file, long index, int alignment) throws IOException {
        String name = in.string("tensor #" + index + " name");
        long dims = in.u32("tensor " + name + " n_dimensions");
        if (dims < 1 || dims > 4) {
            throw new ConfigException(file + ": tensor " + name + ": " + dims + " dimensions; GGUF allows 1 to 4");
        }
        long[] shape = new long[(int) dims];
        for (int d = 0; d < dims; d++) {
            long size = in.u64("tensor " + name + " dimension " + d);
            if (size <= 0) {
                throw new ConfigException(file + ": tensor " + name + ": dimension " + d + " is " + size);
            }
            shape[(int) dims - 1 - d] = size; // ne[0] is the innermost dimension
        }
        long typeId = in.u32("tensor " + name + " type");
        GgufTensorType type = GgufTensorType.ofId(typeId);
        if (type == null) {
            throw new ConfigException(String.format(Locale.ROOT, "%s: tensor %s: ggml type %d is not supported; "
                    + "supported: F32 (0), F16 (1), Q8_0 (8)", file, name, typeId));
        }
        if (shape[shape.length - 1] % type.blockSize() != 0) {
            throw new ConfigException(String.format(Locale.ROOT, "%s: tensor %s: rows of %d values are not whole %s "
                    + "blocks of %d", file, name, shape[shape.length - 1], type, type.blockSize()));
        }
        long offset = in.u64("tensor " + name + " offset");
        if (offset < 0 || offset % alignment != 0) {
            throw new ConfigException(String.format(Locale.ROOT, "%s: tensor %s: data offset %d is not a multiple of "
                    + "the alignment %d", file, name, offset, alignment));
        }
        return new GgufTensorInfo(name, shape, type, offset);
    }

    /** A little-endian source that counts what it read and names the field a short read was for. */
    private static final class In implements AutoCloseable {
        private final Path file;
        private final InputStream stream;
        private final byte[] scratch = new byte[8];
        long position;

        In(Path file, InputStream stream) {
            this.file = file;
            this.stream = stream;
        }

        private byte[] fully(byte[] into, int length, String what) throws IOException {
            int done = 0;
            while (done < length) {
                int read = stream.read(into, done, length - done);
                if (read < 0) {
                    throw new ConfigException(file + ": the file ends inside " + what + " (at byte " + (position + done)
                            + ")", new EOFException());
                }
                done += read;
            }
            position += length;
            return into;
        }

        long le(int width, String what) throws IOException {
            fully(scratch, width, what);
            long value = 0;
            for (int i = width - 1; i >= 0; i--) {
                value = value << 8 | (scratch[i] & 0xff);
            }
            return value;
        }

        long u32(String what) throws IOException {
            return le(4, what);
        }

        long u64(String what) throws IOException {
            return le(8, what);
        }

        String string(String what) throws IOException {
            long length = u64(what + " length");
            if (length < 0 || length > MAX_STRING) {
                throw new ConfigException(file + ": " + what + ": corrupt string length " + length);
            }
            byte[] bytes = fully(new byte[(int) length], (int) length, what);
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                throw new ConfigException(file + ": " + what + ": not valid UTF-8", e);
            }
        }

        GgufValueType valueType(String key) throws IOException {
            long id = u32(key + " type");
            GgufValueType type = GgufValueType.ofId(id);
            if (type == null) {
                throw new ConfigException(file + ": metadata key " + key + ": unknown value type " + id);
            }
            return type;
        }

        GgufValue value(GgufValueType type, String key) throws IOException {
            return switch (type) {
                case UINT8 -> GgufValue.integer(type, le(1, key));
                case INT8 -> GgufValue.integer(type, (byte) le(1, key));
                case UINT16 -> GgufValue.integer(type, le(2, key));
                case INT16 -> GgufValue.integer(type, (short) le(2, key));
                case UINT32 -> GgufValue.integer(type, le(4, key));
                case INT32 -> GgufValue.integer(type, (int) le(4, key));
                case UINT64, INT64 -> GgufValue.integer(type, le(8, key));
                case FLOAT32 -> new GgufValue(type, Float.intBitsToFloat((int) le(4, key)), null);
                case FLOAT64 -> new GgufValue(type, Double.longBitsToDouble(le(8, key)), null);
                case BOOL -> {
                    long b = le(1, key);
                    if (b > 1) {
                        throw new ConfigException(file + ": metadata key " + key + ": BOOL byte " + b + " is neither 0 nor 1");
                    }
                    yield GgufValue.bool(b == 1);
                }
                case STRING -> GgufValue.string(string("metadata key " + key));
                case ARRAY -> {
                    GgufValueType element = valueType(key + " element");
                    long count = u64(key + " array length");
                    if (count < 0 || count > MAX_STRING) {
                        throw new ConfigException(file + ": metadata key " + key + ": corrupt array length " + count);
                    }
                    List<GgufValue> items = new ArrayList<>((int) count);
                    for (long i = 0; i < count; i++) {
                        items.add(value(element, key + "[" + i + "]"));
                    }
                    yield GgufValue.array(element, items);
                }
            };
        }

        @Override
        public void close() throws IOException {
            stream.close();
        }
    }
}
