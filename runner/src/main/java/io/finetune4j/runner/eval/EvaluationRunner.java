package io.finetune4j.runner.eval;

import static java.util.Objects.requireNonNull;

import io.finetune4j.api.ProgressListener;
import io.finetune4j.api.eval.Evaluator;
import io.finetune4j.api.eval.Metric;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.runner.config.EvaluatorSpec;
import io.finetune4j.runner.config.PluginCalls;
import io.finetune4j.runner.config.StageSpec;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;

/** Runs a stage's evaluators at one point of the stage and adds bootstrap intervals to their metrics. */
public final class EvaluationRunner {
    private final BootstrapCi bootstrap;
    private final ProgressListener progress;

    @Inject
    public EvaluationRunner(BootstrapCi bootstrap, ProgressListener progress) {
        this.bootstrap = requireNonNull(bootstrap, "bootstrap is null");
        this.progress = requireNonNull(progress, "progress is null");
    }

    public BootstrapCi bootstrap() {
        return bootstrap;
    }

    /** Runs every evaluator of {@code stage} marked {@code when} on {@code model}. */
    public List<EvaluatorResult> run(StageSpec stage, CausalLM model, EvaluatorSpec.When when, long seed) {
        List<EvaluatorResult> results = new ArrayList<>();
        for (int i = 0; i < stage.evaluators().size(); i++) {
            EvaluatorSpec spec = stage.evaluators().get(i);
            if (!spec.when().contains(when)) {
                continue;
            }
            Evaluator evaluator = PluginCalls.createEvaluator(spec.plugin());
            List<Metric> metrics = evaluator.evaluate(
                    new EvalRecords(model, spec.dataset(), stage.maxLength(), seed, progress));
            List<MetricResult> measured = new ArrayList<>();
            for (Metric metric : metrics) {
                // Each metric gets its own stream of resamples, the same before and after training,
                // so the two intervals are comparable.
                long metricSeed = metricSeed(seed, i, metric.name());
                measured.add(new MetricResult(metric.name(), bootstrap.interval(metric, metricSeed),
                        metric.higherIsBetter()));
            }
            results.add(new EvaluatorResult(i, spec.plugin().id(), spec.data(), measured));
        }
        return results;
    }

    /**
     * The bootstrap seed of one metric: its own stream per evaluator position and metric name, the same
     * before and after training, so the two intervals (and a paired test) resample the same examples.
     */
    public static long metricSeed(long seed, int evaluatorIndex, String metricName) {
        return seed * 31 + evaluatorIndex * 1009L + metricName.hashCode();
    }
}
