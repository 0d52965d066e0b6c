package io.finetune4j.runner.pipeline;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.finetune4j.runner.model.ParityService;
import io.finetune4j.runner.config.BaseSpec;
import io.finetune4j.runner.config.ConfigBinder;
import io.finetune4j.runner.config.EvaluatorSpec;
import io.finetune4j.runner.config.PluginChoice;
import io.finetune4j.runner.config.StageSpec;
import io.finetune4j.runner.eval.BootstrapCi;
import io.finetune4j.runner.eval.EvaluatorResult;
import io.finetune4j.runner.eval.Interval;
import io.finetune4j.runner.eval.Numbers;
import io.finetune4j.runner.eval.MetricResult;
import io.finetune4j.runtime.train.TrainingSummary;
import io.finetune4j.runtime.io.AtomicFiles;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Writes a stage's record of itself: {@code stage.yaml} (the stage as resolved: absolute paths and every
 * setting, defaults included, so it reads back as a pipeline stage) and {@code metrics.json} (training
 * summary and evaluation metrics with their bootstrap intervals).
 */
public final class StageFiles {
    private final ConfigBinder binder;
    private final ObjectMapper json;
    private final YAMLMapper yaml;

    @Inject
    public StageFiles(ConfigBinder binder) {
        this.binder = requireNonNull(binder, "binder is null");
        this.json = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
        this.yaml = YAMLMapper.builder().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES).build();
    }

    public void writeStageYaml(Path file, StageSpec stage, Path resolvedBase, boolean merge) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("name", stage.name());
        if (stage.base() instanceof BaseSpec.RandomInit init) {
            Map<String, Object> base = new LinkedHashMap<>();
            base.put("init", init.config().toString());
            base.put("tokenizer", init.tokenizer().toString());
            doc.put("base", base);
        } else {
            doc.put("base", resolvedBase.toString());
        }
        doc.put("method", plugin(stage.method()));
        doc.put("objective", plugin(stage.objective()));
        doc.put("data", Map.of("train", stage.trainFiles().stream().map(Path::toString).toList()));
        Map<String, Object> training = settings(stage.training());
        training.put("max_length", stage.maxLength());
        doc.put("training", training);
        List<Map<String, Object>> evaluators = new ArrayList<>();
        for (EvaluatorSpec evaluator : stage.evaluators()) {
            Map<String, Object> entry = plugin(evaluator.plugin());
            entry.put("data", evaluator.data().toString());
            entry.put("when", evaluator.when().stream().sorted().map(EvaluatorSpec.When::key).toList());
            evaluators.add(entry);
        }
        doc.put("evaluators", evaluators);
        doc.put("output", Map.of("merge", merge));
        write(file, () -> yaml.writeValueAsString(doc));
    }

    /** The train-serve parity check of {@code output.parity}: the merged checkpoint's row, and the tolerance. */
    public record Parity(ParityService.Row merged, double tolerance) {}

    public void writeMetrics(Path file, StageSpec stage, TrainingSummary summary, BootstrapCi bootstrap, long seed,
                             List<EvaluatorResult> before, List<EvaluatorResult> after, Optional<Parity> parity) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("stage", stage.name());
        Map<String, Object> training = new LinkedHashMap<>();
        training.put("steps", summary.steps());
        training.put("final_loss", Numbers.finiteOrNull(summary.finalLoss()));
        training.put("tokens", summary.tokens());
        training.put("seconds", Numbers.finiteOrNull(summary.seconds()));
        doc.put("training", training);
        List<Map<String, Object>> evaluators = new ArrayList<>();
        for (int i = 0; i < stage.evaluators().size(); i++) {
            EvaluatorSpec spec = stage.evaluators().get(i);
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("id", spec.plugin().id());
            entry.put("data", spec.data().toString());
            int index = i;
            before.stream().filter(r -> r.index() == index).findFirst().ifPresent(r -> entry.put("before", metrics(r)));
            after.stream().filter(r -> r.index() == index).findFirst().ifPresent(r -> entry.put("after", metrics(r)));
            evaluators.add(entry);
        }
        doc.put("evaluators", evaluators);
        Map<String, Object> method = new LinkedHashMap<>();
        method.put("interval", "percentile");
        method.put("resamples", bootstrap.resamples());
        method.put("confidence", bootstrap.confidence());
        method.put("seed", seed);
        doc.put("bootstrap", method);
        parity.ifPresent(check -> {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("artefact", "model/");
            entry.put("max_abs_logit_difference", Numbers.finiteOrNull(check.merged().maxAbsLogitDifference()));
            entry.put("greedy_agreement", Numbers.finiteOrNull(check.merged().greedyAgreement()));
            entry.put("perplexity", Numbers.finiteOrNull(check.merged().perplexity()));
            entry.put("tolerance", check.tolerance());
            doc.put("parity", entry);
        });
        write(file, () -> json.writeValueAsString(doc) + "\n");
    }

    private Map<String, Object> plugin(PluginChoice<?> choice) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("id", choice.id());
        entry.putAll(settings(choice.config()));
        return entry;
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> settings(Record config) {
        return new LinkedHashMap<>(binder.mapper().convertValue(config, Map.class));
    }

    private static Map<String, Object> metrics(EvaluatorResult result) {
        Map<String, Object> metrics = new LinkedHashMap<>();
        for (MetricResult metric : result.metrics()) {
            Interval interval = metric.interval();
            Map<String, Object> values = new LinkedHashMap<>();
            Numbers.putInterval(values, interval, true);
            values.put("higher_is_better", metric.higherIsBetter());
            metrics.put(metric.name(), values);
        }
        return metrics;
    }

    private interface Text {
        String get() throws IOException;
    }

    /** Writes beside the target and moves into place, so a crash never leaves half a file. */
    private static void write(Path file, Text text) {
        AtomicFiles.writeAtomically(file, temp -> Files.writeString(temp, text.get()));
    }
}
