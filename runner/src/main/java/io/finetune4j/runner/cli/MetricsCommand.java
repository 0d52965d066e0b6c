package io.finetune4j.runner.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.data.Source;
import io.finetune4j.api.eval.Evaluator;
import io.finetune4j.api.eval.EvaluatorProvider;
import io.finetune4j.api.eval.Metric;
import io.finetune4j.api.eval.Prediction;
import io.finetune4j.runner.console.JsonLine;
import io.finetune4j.runner.config.ConfigBinder;
import io.finetune4j.runner.eval.BootstrapCi;
import io.finetune4j.runner.eval.Interval;
import io.finetune4j.runner.eval.Numbers;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ft4j metrics --data FILE.jsonl --metrics bleu,rouge,... [--labels a,b] [--json] [--seed N]}: scores
 * predictions made elsewhere, with no model. Rows are {@code {"prediction": ..., "reference": ...}} or
 * {@code {"prediction": ..., "references": [...]}}. Each metric name picks an evaluator of the plugin
 * registry that scores predictions ({@link EvaluatorProvider#predictionMetricNames()}: {@code exact_match} is the
 * {@code exact-match} evaluator); every metric it returns is printed with a 95% percentile bootstrap interval
 * (1000 resamples, seeded).
 */
@Command(name = "metrics", mixinStandardHelpOptions = true,
        description = "Score predictions from a JSONL file with text metrics (BLEU, ROUGE, METEOR, EM/F1, accuracy).")
public final class MetricsCommand implements Action {
    static final int RESAMPLES = 1000;
    static final double CONFIDENCE = 0.95;

    @Spec
    CommandSpec spec;

    @Option(names = "--data", required = true, paramLabel = "FILE.jsonl",
            description = "Rows {\"prediction\": ..., \"reference\": ...} or {\"prediction\": ..., \"references\": [...]}.")
    Path data;

    @Option(names = "--metrics", required = true, split = ",", paramLabel = "NAME",
            description = "Any evaluator that scores predictions; built in: bleu, rouge, meteor, exact_match, f1, "
                    + "accuracy.")
    List<String> metrics;

    @Option(names = "--labels", split = ",", paramLabel = "LABEL", description = "The label set, for accuracy.")
    List<String> labels = List.of();

    @Option(names = "--json", description = "Print {\"bleu\": {\"value\": x, \"ci_low\": a, \"ci_high\": b}, ...}.")
    boolean json;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of the bootstrap resamples (default: 0).")
    long seed;

    @Override
    public int run(Ft4j app) {
        Map<String, EvaluatorProvider<?>> evaluators = app.registry().evaluators();
        List<String> evaluatorIds = evaluatorIds(metrics, evaluators);
        List<Prediction> predictions = readPredictions(data);
        Map<String, Interval> results = measure(predictions, evaluatorIds, labels, evaluators, seed);
        print(results, json, spec.commandLine().getOut());
        return 0;
    }

    /**
     * The evaluator ids for the --metrics names, in order, without repeats: a name is one of an evaluator's
     * {@link EvaluatorProvider#predictionMetricNames()} or the id of such an evaluator.
     */
    static List<String> evaluatorIds(List<String> names, Map<String, EvaluatorProvider<?>> evaluators) {
        Map<String, String> idsByName = new LinkedHashMap<>();
        List<String> known = new ArrayList<>();
        evaluators.forEach((id, provider) -> {
            List<String> offered = provider.predictionMetricNames();
            known.addAll(offered);
            offered.forEach(name -> idsByName.put(name, id));
            if (!offered.isEmpty()) {
                idsByName.putIfAbsent(id, id);
            }
        });
        List<String> ids = new ArrayList<>();
        for (String name : names) {
            String id = idsByName.get(name.strip().toLowerCase(Locale.ROOT));
            if (id == null) {
                throw new ConfigException(String.format(Locale.ROOT, "--metrics: unknown metric '%s'; known: %s",
                        name, known));
            }
            if (!ids.contains(id)) {
                ids.add(id);
            }
        }
        return ids;
    }

    /** Every row as a prediction, or a ConfigException naming the file and line of the first bad row. */
    static List<Prediction> readPredictions(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read predictions file " + file, e);
        }
        ObjectMapper mapper = new ObjectMapper();
        List<Prediction> predictions = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            Source source = new Source(file.toString(), i + 1);
            predictions.add(parseRow(mapper, line, source));
        }
        if (predictions.isEmpty()) {
            throw new ConfigException(file + ": no rows; expected one JSON object per line with \"prediction\" and "
                    + "\"reference\" (or \"references\": [...])");
        }
        return predictions;
    }

    private static Prediction parseRow(ObjectMapper mapper, String line, Source source) {
        JsonNode row;
        try {
            row = mapper.readTree(line);
        } catch (JsonProcessingException e) {
            throw new ConfigException(source + ": not valid JSON: " + e.getOriginalMessage());
        }
        if (!(row instanceof ObjectNode)) {
            throw new ConfigException(source + ": expected a JSON object with \"prediction\" and \"reference\"");
        }
        JsonNode prediction = row.get("prediction");
        if (prediction == null || !prediction.isTextual()) {
            throw new ConfigException(source + ": \"prediction\" must be a string"
                    + (prediction == null ? ", but the row has none" : ", was " + prediction.getNodeType()));
        }
        JsonNode reference = row.get("reference");
        JsonNode references = row.get("references");
        List<String> texts = new ArrayList<>();
        if (reference != null && references != null) {
            throw new ConfigException(source + ": give either \"reference\" or \"references\", not both");
        } else if (reference != null && reference.isTextual()) {
            texts.add(reference.asText());
        } else if (references != null && references.isArray() && !references.isEmpty()) {
            for (JsonNode item : references) {
                if (!item.isTextual()) {
                    throw new ConfigException(source + ": \"references\" must hold strings, found " + item.getNodeType());
                }
                texts.add(item.asText());
            }
        } else {
            throw new ConfigException(source + ": needs \"reference\" (a string) or \"references\" (a non-empty list "
                    + "of strings)");
        }
        return new Prediction(prediction.asText(), texts, source);
    }

    /** Each evaluator's metrics with bootstrap intervals, keyed by metric name, in evaluator order. */
    static Map<String, Interval> measure(List<Prediction> predictions, List<String> evaluatorIds, List<String> labels,
                                         Map<String, EvaluatorProvider<?>> evaluators, long seed) {
        BootstrapCi bootstrap = new BootstrapCi(RESAMPLES, CONFIDENCE);
        Map<String, Interval> results = new LinkedHashMap<>();
        for (String id : evaluatorIds) {
            EvaluatorProvider<?> provider = evaluators.get(id);
            if (provider == null) {
                throw new ConfigException(String.format(Locale.ROOT,
                        "--metrics: no evaluator '%s' is installed; evaluators found: %s", id, evaluators.keySet()));
            }
            Evaluator evaluator = create(provider, id, labels);
            List<Metric> metrics = evaluator.scorePredictions(predictions).orElseThrow(() -> new ConfigException(
                    "--metrics: evaluator '" + id + "' needs a model and cannot score predictions from a file"));
            for (Metric metric : metrics) {
                long metricSeed = seed * 31 + metric.name().hashCode();
                results.put(metric.name(), bootstrap.interval(metric, metricSeed));
            }
        }
        return results;
    }

    /**
     * The provider's defaults, with {@code labels} from --labels for evaluators that take a label set (others
     * ignore --labels), bound and validated as a pipeline's evaluator section is.
     */
    private static <C extends Record> Evaluator create(EvaluatorProvider<C> provider, String id, List<String> labels) {
        ConfigProblems problems = ConfigProblems.at("--metrics " + id);
        Class<C> type = provider.configType();
        boolean takesLabels = ConfigBinder.keysOf(type).contains("labels");
        ConfigBinder binder = new ConfigBinder();
        ObjectNode values = binder.mapper().createObjectNode();
        if (takesLabels) {
            if (labels.isEmpty()) {
                throw new ConfigException("--labels: " + id + " needs the label set, e.g. --labels positive,negative");
            }
            values.set("labels", binder.mapper().valueToTree(labels));
        }
        C config = binder.bind(provider.defaults(), type, values, Set.of(), problems).orElse(null);
        if (config != null) {
            provider.validate(config, problems);
        }
        problems.throwIfAny();
        return provider.create(config);
    }

    /** One line per metric, or one JSON object; the confusion matrix (if any) as a table. */
    static void print(Map<String, Interval> results, boolean json, PrintWriter out) {
        if (json) {
            Map<String, Object> values = new LinkedHashMap<>();
            results.forEach((name, interval) -> {
                Map<String, Object> entry = new LinkedHashMap<>();
                Numbers.putInterval(entry, interval, false);
                values.put(name, entry);
            });
            out.println(JsonLine.of(values));
            out.flush();
            return;
        }
        int width = results.keySet().stream().filter(name -> !name.startsWith("confusion/"))
                .mapToInt(String::length).max().orElse(0);
        Map<String, Map<String, Long>> confusion = new LinkedHashMap<>();
        results.forEach((name, interval) -> {
            if (name.startsWith("confusion/")) {
                String[] parts = name.substring("confusion/".length()).split("/", 2);
                if (parts.length == 2) {
                    confusion.computeIfAbsent(parts[0], k -> new LinkedHashMap<>())
                            .put(parts[1], Math.round(interval.value()));
                    return;
                }
            }
            out.println(String.format(Locale.ROOT, "%-" + width + "s  %s  95%% CI [%s, %s]  n=%d", name,
                    Numbers.fixed4(interval.value()), Numbers.fixed4(interval.low()), Numbers.fixed4(interval.high()), interval.n()));
        });
        if (!confusion.isEmpty()) {
            printConfusion(confusion, out);
        }
        out.flush();
    }

    private static void printConfusion(Map<String, Map<String, Long>> confusion, PrintWriter out) {
        List<String> columns = new ArrayList<>();
        confusion.values().forEach(row -> row.keySet().forEach(c -> {
            if (!columns.contains(c)) {
                columns.add(c);
            }
        }));
        int longest = "gold \\ predicted".length();
        for (String label : confusion.keySet()) {
            longest = Math.max(longest, label.length());
        }
        for (String column : columns) {
            longest = Math.max(longest, column.length());
        }
        int width = longest;
        out.println("confusion matrix (rows: gold, columns: predicted):");
        StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%-" + width + "s", "gold \\ predicted"));
        for (String column : columns) {
            header.append("  ").append(String.format(Locale.ROOT, "%" + width + "s", column));
        }
        out.println(header);
        confusion.forEach((gold, row) -> {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-" + width + "s", gold));
            for (String column : columns) {
                line.append("  ").append(String.format(Locale.ROOT, "%" + width + "d", row.getOrDefault(column, 0L)));
            }
            out.println(line);
        });
    }
}
