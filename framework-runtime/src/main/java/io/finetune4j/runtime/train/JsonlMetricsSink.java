package io.finetune4j.runtime.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune4j.api.TrainingException;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes each record as one JSON object per line, {@code {"stage":"sft","step":10,"loss":2.31,...}},
 * flushed at once so a crashed or running job's file is readable. Non-finite values are written as
 * {@code null} (JSON has no NaN). Safe to share between threads.
 */
public final class JsonlMetricsSink implements MetricsSink, AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final BufferedWriter writer;

    private JsonlMetricsSink(Path file, StandardOpenOption mode) {
        this.file = file;
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            this.writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE, mode);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open metrics file " + file, e);
        }
    }

    /** A new, empty file (an old one is replaced). */
    public static JsonlMetricsSink create(Path file) {
        return new JsonlMetricsSink(file, StandardOpenOption.TRUNCATE_EXISTING);
    }

    /** Appends to {@code file}, creating it if needed (several stages sharing one file). */
    public static JsonlMetricsSink appendingTo(Path file) {
        return new JsonlMetricsSink(file, StandardOpenOption.APPEND);
    }

    @Override
    public synchronized void record(String stage, int step, Map<String, Double> values) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("stage", stage);
        line.put("step", step);
        values.forEach((name, value) ->
                line.putIfAbsent(name, value != null && Double.isFinite(value) ? value : null));
        try {
            writer.write(JSON.writeValueAsString(line));
            writer.newLine();
            writer.flush();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode metrics " + line, e);
        } catch (IOException e) {
            throw new TrainingException(String.format(java.util.Locale.ROOT,
                    "stage '%s', step %d: cannot write metrics to %s: %s", stage, step, file, e.getMessage()), e);
        }
    }

    public Path file() {
        return file;
    }

    @Override
    public synchronized void close() {
        try {
            writer.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close metrics file " + file, e);
        }
    }
}
