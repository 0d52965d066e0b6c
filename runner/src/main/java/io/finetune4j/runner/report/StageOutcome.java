package io.finetune4j.runner.report;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune4j.runner.config.StageSpec;
import io.finetune4j.runner.eval.Interval;
import io.finetune4j.runner.eval.Numbers;
import io.finetune4j.runtime.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What one finished stage hands the run's report: its training summary, every metric before and after with the
 * paired comparison already computed (see {@link MetricRows}), and sample generations. Saved beside the stage's
 * outputs as {@code outcome.json} before its {@code metrics.json} (the mark of a finished stage), so a run resumed
 * in a later invocation reports the stages finished earlier exactly as the invocation that ran them would have.
 *
 * @param training steps, final loss, tokens and seconds of the stage's training
 * @param rows one per evaluator and metric, in evaluator order, then metric order
 * @param baseSamples greedy generations of the stage's base model
 * @param trainedSamples greedy generations of the trained model, for the same prompts
 */
public record StageOutcome(StageSpec stage, Training training, List<MetricRow> rows,
                           List<SampleGeneration> baseSamples, List<SampleGeneration> trainedSamples) {
    public static final String FILE = "outcome.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    public StageOutcome {
        requireNonNull(stage, "stage is null");
        requireNonNull(training, "training is null");
        rows = List.copyOf(rows);
        baseSamples = List.copyOf(baseSamples);
        trainedSamples = List.copyOf(trainedSamples);
    }

    /** The training of a stage as the report shows it. */
    public record Training(int steps, double finalLoss, long tokens, double seconds) {}

    /** Writes {@code stageDir/outcome.json} beside the target first, then moves it into place. */
    public void save(Path stageDir) {
        ObjectNode doc = JSON.createObjectNode();
        doc.put("stage", stage.name());
        ObjectNode train = doc.putObject("training");
        train.put("steps", training.steps());
        putNumber(train, "final_loss", training.finalLoss());
        train.put("tokens", training.tokens());
        putNumber(train, "seconds", training.seconds());
        ArrayNode rowsJson = doc.putArray("rows");
        for (MetricRow row : rows) {
            ObjectNode r = rowsJson.addObject();
            r.put("evaluator_index", row.evaluatorIndex());
            r.put("evaluator", row.evaluatorId());
            r.put("data", row.data().toString());
            r.put("metric", row.metric());
            r.put("higher_is_better", row.higherIsBetter());
            r.put("forgetting_check", row.forgettingCheck());
            row.before().ifPresent(interval -> putInterval(r.putObject("before"), interval));
            row.after().ifPresent(interval -> putInterval(r.putObject("after"), interval));
            row.comparison().ifPresent(c -> {
                ObjectNode p = r.putObject("comparison");
                putNumber(p, "delta", c.delta());
                putNumber(p, "ci_low", c.ciLow());
                putNumber(p, "ci_high", c.ciHigh());
                putNumber(p, "p_value", c.pValue());
                putNumber(p, "wilcoxon_p_value", c.wilcoxonPValue());
                p.put("n", c.n());
            });
        }
        putSamples(doc.putArray("base_samples"), baseSamples);
        putSamples(doc.putArray("trained_samples"), trainedSamples);
        AtomicFiles.writeAtomically(stageDir.resolve(FILE), temp ->
                Files.writeString(temp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(doc) + "\n"));
    }

    /**
     * The outcome {@code stage} saved in {@code stageDir}; empty when the stage saved none (a run directory
     * written before outcomes were saved) or the file cannot be read back.
     */
    public static Optional<StageOutcome> load(Path stageDir, StageSpec stage) {
        Path file = stageDir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            JsonNode doc = JSON.readTree(file.toFile());
            JsonNode train = doc.path("training");
            Training training = new Training(train.path("steps").asInt(), number(train.path("final_loss")),
                    train.path("tokens").asLong(), number(train.path("seconds")));
            List<MetricRow> rows = new ArrayList<>();
            for (JsonNode r : doc.path("rows")) {
                boolean higher = r.path("higher_is_better").asBoolean();
                Optional<PairedComparison> comparison = Optional.ofNullable(r.get("comparison"))
                        .map(p -> new PairedComparison(number(p.path("delta")), number(p.path("ci_low")),
                                number(p.path("ci_high")), number(p.path("p_value")),
                                number(p.path("wilcoxon_p_value")), p.path("n").asInt(), higher));
                rows.add(new MetricRow(stage.name(), r.path("evaluator_index").asInt(), r.path("evaluator").asText(),
                        Path.of(r.path("data").asText()), r.path("metric").asText(), higher,
                        interval(r.get("before")), interval(r.get("after")), comparison,
                        r.path("forgetting_check").asBoolean()));
            }
            return Optional.of(new StageOutcome(stage, training, rows, samples(doc.path("base_samples")),
                    samples(doc.path("trained_samples"))));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static void putInterval(ObjectNode json, Interval interval) {
        putNumber(json, "value", interval.value());
        putNumber(json, "ci_low", interval.low());
        putNumber(json, "ci_high", interval.high());
        json.put("n", interval.n());
    }

    private static Optional<Interval> interval(JsonNode json) {
        return json == null ? Optional.empty() : Optional.of(new Interval(number(json.path("value")),
                number(json.path("ci_low")), number(json.path("ci_high")), json.path("n").asInt()));
    }

    private static void putSamples(ArrayNode json, List<SampleGeneration> samples) {
        for (SampleGeneration sample : samples) {
            json.addObject().put("prompt", sample.prompt()).put("output", sample.output())
                    .put("stop_reason", sample.stopReason());
        }
    }

    private static List<SampleGeneration> samples(JsonNode json) {
        List<SampleGeneration> samples = new ArrayList<>();
        for (JsonNode s : json) {
            samples.add(new SampleGeneration(s.path("prompt").asText(), s.path("output").asText(),
                    s.path("stop_reason").asText()));
        }
        return samples;
    }

    /** JSON has no NaN or infinity: non-finite numbers are written {@code null} and read back as NaN. */
    private static void putNumber(ObjectNode json, String key, double value) {
        Double finite = Numbers.finiteOrNull(value);
        if (finite == null) {
            json.putNull(key);
        } else {
            json.put(key, finite);
        }
    }

    private static double number(JsonNode json) {
        return json == null || !json.isNumber() ? Double.NaN : json.asDouble();
    }
}
