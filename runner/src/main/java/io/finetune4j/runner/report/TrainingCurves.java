package io.finetune4j.runner.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The training curves of a run: the steps the trainer logged (the lines of {@code metrics.jsonl},
 * {@code {"stage": "sft", "step": 3, "loss": 2.1, "learning_rate": 0.001, ...}}), and drawn as one PNG per
 * stage and value with XChart, headless.
 */
public final class TrainingCurves {
    /** Logged values that make no useful curve. */
    private static final Set<String> SKIPPED = Set.of("stage", "step", "epoch");
    /** Curves first in a stage's list, when logged; the objective's own values follow in file order. */
    private static final List<String> FIRST = List.of("loss", "learning_rate", "lr");

    private static final ObjectMapper JSON = new ObjectMapper();

    /** stage → value name → points. */
    private final Map<String, Map<String, Series>> stages;

    private TrainingCurves(Map<String, Map<String, Series>> stages) {
        this.stages = stages;
    }

    /** Points of one value: steps and values, non-finite (null) values left out. */
    public record Series(List<Integer> steps, List<Double> values) {}

    /** Reads {@code file}; a missing file gives no curves, and lines that are not JSON objects are skipped. */
    public static TrainingCurves read(Path file) {
        List<JsonNode> lines = new ArrayList<>();
        if (Files.isRegularFile(file)) {
            try {
                for (String line : Files.readAllLines(file)) {
                    try {
                        JsonNode node = line.isBlank() ? null : JSON.readTree(line);
                        if (node != null && node.isObject()) {
                            lines.add(node);
                        }
                    } catch (IOException torn) {
                        // A torn line (a crash or a full disk mid-write): the curve has a gap there.
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read training metrics " + file, e);
            }
        }
        return of(lines);
    }

    /** The curves of logged steps, each {@code {"stage": ..., "step": ..., name: value, ...}}. */
    public static TrainingCurves of(List<? extends JsonNode> lines) {
        Map<String, Map<String, Series>> stages = new LinkedHashMap<>();
        for (JsonNode node : lines) {
            String stage = node.path("stage").asText("");
            int step = node.path("step").asInt();
            Map<String, Series> curves = stages.computeIfAbsent(stage, s -> new LinkedHashMap<>());
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                if (SKIPPED.contains(field.getKey()) || !field.getValue().isNumber()) {
                    continue;
                }
                Series series = curves.computeIfAbsent(field.getKey(),
                        k -> new Series(new ArrayList<>(), new ArrayList<>()));
                series.steps().add(step);
                series.values().add(field.getValue().asDouble());
            }
        }
        return new TrainingCurves(stages);
    }

    /** The curves of {@code stage}: loss and learning rate first, then the rest in logged order. */
    public Map<String, Series> of(String stage) {
        Map<String, Series> curves = stages.getOrDefault(stage, Map.of());
        Map<String, Series> ordered = new LinkedHashMap<>();
        FIRST.stream().filter(curves::containsKey).forEach(name -> ordered.put(name, curves.get(name)));
        curves.forEach(ordered::putIfAbsent);
        return ordered;
    }

    /**
     * Draws one PNG per curve of {@code stage} into {@code dir} as {@code <stage>-<value>.png}; returns the
     * written files by value name.
     */
    public Map<String, Path> draw(String stage, Path dir) {
        // Before any AWT class initializes: no display on a server, and XChart must not ask for one.
        System.setProperty("java.awt.headless", "true");
        Map<String, Path> files = new LinkedHashMap<>();
        for (Map.Entry<String, Series> curve : of(stage).entrySet()) {
            Path file = dir.resolve(fileName(stage) + "-" + fileName(curve.getKey()) + ".png");
            write(chart(stage, curve.getKey(), curve.getValue()), file);
            files.put(curve.getKey(), file);
        }
        return files;
    }

    private static XYChart chart(String stage, String name, Series series) {
        XYChart chart = new XYChartBuilder().width(560).height(320).title(stage + ": " + name)
                .xAxisTitle("step").yAxisTitle(name).build();
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setChartTitleBoxVisible(false);
        double[] x = series.steps().stream().mapToDouble(Integer::doubleValue).toArray();
        double[] y = series.values().stream().mapToDouble(Double::doubleValue).toArray();
        chart.addSeries(name, x, y).setMarker(x.length <= 50 ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
        return chart;
    }

    private static void write(XYChart chart, Path file) {
        try {
            Files.createDirectories(file.getParent());
            BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write chart " + file, e);
        }
    }

    /** Stage and value names as file-name parts: letters, digits, '-' and '_' kept, anything else '_'. */
    static String fileName(String name) {
        return name.replaceAll("[^A-Za-z0-9_-]", "_");
    }
}
