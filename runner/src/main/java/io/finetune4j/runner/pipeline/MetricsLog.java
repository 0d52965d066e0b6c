package io.finetune4j.runner.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune4j.runner.report.TrainingCurves;
import io.finetune4j.runtime.io.AtomicFiles;
import io.finetune4j.runtime.train.JsonlMetricsSink;
import io.finetune4j.runtime.train.MetricsSink;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A run's {@code metrics.jsonl}: every logged training step of every stage, one JSON object per line
 * ({@code {"stage":"sft","step":10,"loss":2.31,...}}, written by {@link JsonlMetricsSink}), and kept in memory
 * for the report's curves.
 *
 * <p>Opened for a resumed run it is read tolerantly: a line that is not a JSON object (torn by a crash or a
 * full disk) is reported and dropped. When a stage starts ({@link #startStage}), its lines after the step it
 * resumes from are dropped, since training logs them again; the file is then rewritten beside itself and moved
 * into place, so every (stage, step) appears once and a crash while rewriting loses nothing.
 */
public final class MetricsLog implements MetricsSink, AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final List<ObjectNode> lines = new ArrayList<>();
    private final Consumer<String> warnings;
    private boolean dirty;
    private JsonlMetricsSink writer;

    private MetricsLog(Path file, Consumer<String> warnings) {
        this.file = file;
        this.warnings = warnings;
    }

    /** A new, empty log in {@code file} (an old file there is replaced). */
    public static MetricsLog create(Path file, Consumer<String> warnings) {
        MetricsLog log = new MetricsLog(file, warnings);
        log.open(false);
        return log;
    }

    /** The log in {@code file} (created if absent), read back, torn lines reported through {@code warnings}. */
    public static MetricsLog resume(Path file, Consumer<String> warnings) {
        MetricsLog log = new MetricsLog(file, warnings);
        if (Files.isRegularFile(file)) {
            List<String> text;
            try {
                text = Files.readAllLines(file, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file, e);
            }
            for (int i = 0; i < text.size(); i++) {
                String line = text.get(i);
                if (line.isBlank()) {
                    continue;
                }
                JsonNode node = parse(line);
                if (node instanceof ObjectNode object && object.path("stage").isTextual() && object.path("step").isInt()) {
                    log.lines.add(object);
                } else {
                    log.dirty = true;
                    warnings.accept(String.format(Locale.ROOT, "%s:%d: not a logged step (a line torn by a crash or "
                            + "a full disk?); dropped: %s", file, i + 1, abbreviate(line)));
                }
            }
        }
        log.open(true);
        return log;
    }

    /**
     * Called when {@code stage} starts training from {@code resumedStep} (0 for a fresh start): drops its lines
     * logged after that step, which training logs again.
     */
    public synchronized void startStage(String stage, int resumedStep) {
        dirty |= lines.removeIf(line -> line.path("stage").asText().equals(stage)
                && line.path("step").asInt() > resumedStep);
        if (dirty) {
            rewrite();
        }
    }

    @Override
    public synchronized void record(String stage, int step, Map<String, Double> values) {
        ObjectNode line = JSON.createObjectNode();
        line.put("stage", stage);
        line.put("step", step);
        values.forEach((name, value) -> {
            if (!line.has(name)) {
                if (value != null && Double.isFinite(value)) {
                    line.put(name, value);
                } else {
                    line.putNull(name);
                }
            }
        });
        writer.record(stage, step, values);
        lines.add(line);
    }

    /** The curves of every step logged, in this invocation and the ones before it. */
    public synchronized TrainingCurves curves() {
        return TrainingCurves.of(List.copyOf(lines));
    }

    public Path file() {
        return file;
    }

    @Override
    public synchronized void close() {
        writer.close();
    }

    private void rewrite() {
        writer.close();
        AtomicFiles.writeAtomically(file, temp -> {
            StringBuilder text = new StringBuilder();
            for (ObjectNode line : lines) {
                text.append(JSON.writeValueAsString(line)).append('\n');
            }
            Files.writeString(temp, text);
        });
        dirty = false;
        open(true);
    }

    private void open(boolean append) {
        writer = append ? JsonlMetricsSink.appendingTo(file) : JsonlMetricsSink.create(file);
    }

    private static JsonNode parse(String line) {
        try {
            return JSON.readTree(line);
        } catch (IOException e) {
            return null;
        }
    }

    private static String abbreviate(String line) {
        return line.length() <= 80 ? line : line.substring(0, 80) + "…";
    }
}
