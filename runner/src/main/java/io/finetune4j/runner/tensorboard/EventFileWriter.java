package io.finetune4j.runner.tensorboard;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * A minimal TensorBoard event file writer: scalars only, no protobuf library.
 *
 * <p>The file is a sequence of TFRecords, each {@code uint64 length, uint32 masked_crc32c(length), byte[length]
 * data, uint32 masked_crc32c(data)}, little-endian, where crc32c is the Castagnoli CRC ({@link CRC32C}) masked as
 * {@code ((crc >>> 15) | (crc << 17)) + 0xa282ead8}. Each record's data is a hand-encoded {@code tensorflow.Event}
 * (event.proto): {@code wall_time} (double, field 1), {@code step} (int64, field 2) and one of
 * {@code file_version} (string, field 3; the first record, {@value #FILE_VERSION}), {@code summary} (field 5: a
 * {@code Summary} of repeated {@code Value} (field 1) with {@code tag} (string, field 1) and {@code simple_value}
 * (float, field 2)) or {@code session_log} (field 7: {@code SessionLog} with {@code status} (enum, field 1)
 * {@code START} = 1, which makes TensorBoard drop the steps at and after it that earlier files logged).
 *
 * <p>Every event is flushed when written, so TensorBoard shows a run while it trains and a crash loses at most the
 * record being written (TensorBoard ignores a torn last record).
 */
public final class EventFileWriter implements AutoCloseable {
    /** The {@code file_version} of the first event; TensorBoard reads every version starting "brain.Event:". */
    public static final String FILE_VERSION = "brain.Event:2";
    private static final int MASK_DELTA = 0xa282ead8;

    private final Path file;
    private final OutputStream out;

    private EventFileWriter(Path file, OutputStream out) {
        this.file = file;
        this.out = out;
    }

    /** Creates {@code file} (and its directory) and writes the file-version event. */
    public static EventFileWriter create(Path file, double wallTime) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        EventFileWriter writer = new EventFileWriter(file, Files.newOutputStream(file, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE));
        ByteArrayOutputStream event = event(wallTime, 0);
        writeTag(event, 3, 2);
        writeBytes(event, FILE_VERSION.getBytes(StandardCharsets.UTF_8));
        writer.writeRecord(event.toByteArray());
        return writer;
    }

    public Path file() {
        return file;
    }

    /** One event at {@code step}, a scalar per entry of {@code scalars} (tag → value; NaN and ±∞ kept). */
    public void scalars(double wallTime, long step, Map<String, Double> scalars) throws IOException {
        ByteArrayOutputStream summary = new ByteArrayOutputStream();
        for (Map.Entry<String, Double> scalar : scalars.entrySet()) {
            ByteArrayOutputStream value = new ByteArrayOutputStream();
            writeTag(value, 1, 2);
            writeBytes(value, scalar.getKey().getBytes(StandardCharsets.UTF_8));
            writeTag(value, 2, 5);
            float simple = scalar.getValue() == null ? Float.NaN : scalar.getValue().floatValue();
            value.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(simple).array());
            writeTag(summary, 1, 2);
            writeBytes(summary, value.toByteArray());
        }
        ByteArrayOutputStream event = event(wallTime, step);
        writeTag(event, 5, 2);
        writeBytes(event, summary.toByteArray());
        writeRecord(event.toByteArray());
    }

    /** A {@code SessionLog.START} at {@code step}: TensorBoard discards what earlier files logged from it on. */
    public void sessionStart(double wallTime, long step) throws IOException {
        ByteArrayOutputStream event = event(wallTime, step);
        writeTag(event, 7, 2);
        writeBytes(event, new byte[] {0x08, 0x01});
        writeRecord(event.toByteArray());
    }

    @Override
    public void close() throws IOException {
        out.close();
    }

    /** The Castagnoli CRC of {@code data}, masked as TFRecord stores it. */
    static int maskedCrc32c(byte[] data) {
        CRC32C crc = new CRC32C();
        crc.update(data);
        int value = (int) crc.getValue();
        return ((value >>> 15) | (value << 17)) + MASK_DELTA;
    }

    private void writeRecord(byte[] data) throws IOException {
        byte[] length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(data.length).array();
        ByteBuffer record = ByteBuffer.allocate(8 + 4 + data.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        record.put(length).putInt(maskedCrc32c(length)).put(data).putInt(maskedCrc32c(data));
        out.write(record.array());
        out.flush();
    }

    private static ByteArrayOutputStream event(double wallTime, long step) {
        ByteArrayOutputStream event = new ByteArrayOutputStream();
        writeTag(event, 1, 1);
        event.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(wallTime).array());
        if (step != 0) { // proto3 leaves default values out
            writeTag(event, 2, 0);
            writeVarint(event, step);
        }
        return event;
    }

    /** A field key: {@code field << 3 | wire type} (0 varint, 1 fixed64, 2 length-delimited, 5 fixed32). */
    private static void writeTag(ByteArrayOutputStream out, int field, int wireType) {
        writeVarint(out, (long) field << 3 | wireType);
    }

    private static void writeBytes(ByteArrayOutputStream out, byte[] bytes) {
        writeVarint(out, bytes.length);
        out.writeBytes(bytes);
    }

    /** Base-128, least significant group first; a negative int64 takes ten bytes, as protobuf writes it. */
    private static void writeVarint(ByteArrayOutputStream out, long value) {
        while ((value & ~0x7FL) != 0) {
            out.write((int) (value & 0x7F) | 0x80);
            value >>>= 7;
        }
        out.write((int) value);
    }
}
