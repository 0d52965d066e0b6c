package io.finetune4j.runner.report;

import static java.util.Objects.requireNonNull;

import io.finetune4j.api.ProgressListener;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.eval.EvalContext;
import io.finetune4j.api.eval.Evaluator;
import io.finetune4j.api.eval.Metric;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ModelSource;
import io.finetune4j.runner.config.EvaluatorSpec;
import io.finetune4j.runner.config.PipelinePaths;
import io.finetune4j.runner.config.PluginCalls;
import io.finetune4j.runner.config.StageSpec;
import io.finetune4j.runner.eval.BootstrapCi;
import io.finetune4j.runner.eval.EvaluationRunner;
import io.finetune4j.runner.eval.EvaluatorResult;
import io.finetune4j.runner.eval.MetricResult;
import io.finetune4j.runtime.service.CheckpointModelSource;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a stage's evaluators like {@link EvaluationRunner} (same bootstrap, same per-metric seeds, so the
 * intervals are the same) but keeps each {@link Metric}, whose per-example scores the report pairs
 * before and after training.
 */
public final class StageEvaluations {
    private final BootstrapCi bootstrap;
    private final ProgressListener progress;

    @Inject
    public StageEvaluations(EvaluationRunner evaluations, ProgressListener progress) {
        this.bootstrap = requireNonNull(evaluations, "evaluations is null").bootstrap();
        this.progress = requireNonNull(progress, "progress is null");
    }

    public BootstrapCi bootstrap() {
        return bootstrap;
    }

    /** Runs every evaluator of {@code stage} marked {@code when} on {@code model}. */
    public List<MeasuredEvaluation> run(StageSpec stage, CausalLM model, EvaluatorSpec.When when, long seed,
                                        PipelinePaths paths) {
        List<MeasuredEvaluation> results = new ArrayList<>();
        for (int i = 0; i < stage.evaluators().size(); i++) {
            EvaluatorSpec spec = stage.evaluators().get(i);
            if (!spec.when().contains(when)) {
                continue;
            }
            Evaluator evaluator = PluginCalls.createEvaluator(spec.plugin());
            List<Metric> metrics = evaluator.evaluate(
                    new Context(model, spec.dataset(), stage.maxLength(), seed, progress, paths));
            List<MetricResult> measured = new ArrayList<>();
            for (Metric metric : metrics) {
                measured.add(new MetricResult(metric.name(), bootstrap.interval(metric, metricSeed(seed, i, metric)),
                        metric.higherIsBetter()));
            }
            results.add(new MeasuredEvaluation(new EvaluatorResult(i, spec.plugin().id(), spec.data(), measured),
                    metrics));
        }
        return results;
    }

    /** The seed {@link EvaluationRunner} gives a metric: its own stream, the same before and after training. */
    static long metricSeed(long seed, int evaluatorIndex, Metric metric) {
        return EvaluationRunner.metricSeed(seed, evaluatorIndex, metric.name());
    }

    private record Context(CausalLM model, Dataset data, int maxLength, long seed, ProgressListener progress,
                           PipelinePaths paths) implements EvalContext {
        @Override
        public ModelSource models() {
            return CheckpointModelSource.INSTANCE;
        }

        @Override
        public Path resolve(String path) {
            return paths.resolve(path);
        }
    }
}
