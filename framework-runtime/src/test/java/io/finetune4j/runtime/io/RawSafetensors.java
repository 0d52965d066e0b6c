package io.finetune4j.runtime.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Builds safetensors files byte by byte, independently of the writer, including malformed ones. */
final class RawSafetensors {
    private RawSafetensors() {}

    /** A file whose header length field matches {@code header} and whose data section is {@code data}. */
    static Path write(Path file, String header, byte[] data) {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        return write(file, json.length, json, data);
    }

    /** A file with an arbitrary header length field (to build lying headers). */
    static Path write(Path file, long headerLength, byte[] header, byte[] data) {
        ByteBuffer bytes = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        bytes.putLong(headerLength).put(header).put(data);
        try {
            Files.write(file, bytes.array());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /** Little-endian bytes of 16-bit patterns. */
    static byte[] shorts(short... values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (short value : values) {
            bytes.putShort(value);
        }
        return bytes.array();
    }

    /** Little-endian bytes of float32 values. */
    static byte[] floats(float... values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float value : values) {
            bytes.putFloat(value);
        }
        return bytes.array();
    }

    /** Little-endian bytes of float32 bit patterns. */
    static byte[] floatBits(int... bits) {
        ByteBuffer bytes = ByteBuffer.allocate(bits.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int value : bits) {
            bytes.putInt(value);
        }
        return bytes.array();
    }

    /** The data section of a safetensors file (everything after the header). */
    static byte[] dataSection(Path file) {
        try {
            byte[] all = Files.readAllBytes(file);
            long headerLength = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            return Arrays.copyOfRange(all, 8 + (int) headerLength, all.length);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The header text of a safetensors file, padding included. */
    static String header(Path file) {
        try {
            byte[] all = Files.readAllBytes(file);
            long headerLength = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            return new String(all, 8, (int) headerLength, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] concat(byte[]... parts) {
        int length = Arrays.stream(parts).mapToInt(p -> p.length).sum();
        ByteBuffer out = ByteBuffer.allocate(length);
        for (byte[] part : parts) {
            out.put(part);
        }
        return out.array();
    }
}
