package io.finetune4j.runner.eval;

import static java.util.Objects.requireNonNull;

import io.finetune4j.api.ProgressListener;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.eval.Evaluator;
import io.finetune4j.api.eval.Metric;
import io.finetune4j.api.model.CausalLM;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The one evaluation loop: runs evaluators that were created and checked before any model loaded (a stage's,
 * or {@code ft4j eval}'s), keeps each {@link Metric} (its per-example scores pair a later evaluation of the
 * same examples) and adds bootstrap intervals, each metric with its own seed ({@link #metricSeed}), so a
 * stage's model evaluated again with {@code ft4j eval} gets the interval its {@code metrics.json} reports.
 */
public final class EvaluationLoop {
    private final BootstrapCi bootstrap;
    private final ProgressListener progress;

    @Inject
    public EvaluationLoop(BootstrapCi bootstrap, ProgressListener progress) {
        this.bootstrap = requireNonNull(bootstrap, "bootstrap is null");
        this.progress = requireNonNull(progress, "progress is null");
    }

    public BootstrapCi bootstrap() {
        return bootstrap;
    }

    /**
     * An evaluator ready to run: created once from its settings, its data read and checked.
     *
     * @param index its position among the stage's evaluators (or on the command line): part of every metric's seed
     */
    public record Planned(int index, String id, Path data, Dataset dataset, Evaluator evaluator) {
        public Planned {
            requireNonNull(id, "id is null");
            requireNonNull(data, "data is null");
            requireNonNull(dataset, "dataset is null");
            requireNonNull(evaluator, "evaluator is null");
        }
    }

    /**
     * Runs every evaluator of {@code planned} on {@code model}, in order.
     *
     * @param resolve how the evaluators' own path settings resolve (a pipeline's paths, or as given)
     */
    public List<MeasuredEvaluation> run(List<Planned> planned, CausalLM model, int maxLength, long seed,
                                        Function<String, Path> resolve) {
        List<MeasuredEvaluation> results = new ArrayList<>();
        for (Planned step : planned) {
            List<Metric> metrics = step.evaluator().evaluate(
                    new EvalRecords(model, step.dataset(), maxLength, seed, progress, resolve));
            List<MetricResult> measured = new ArrayList<>();
            for (Metric metric : metrics) {
                measured.add(new MetricResult(metric.name(),
                        bootstrap.interval(metric, metricSeed(seed, step.index(), metric.name())),
                        metric.higherIsBetter()));
            }
            results.add(new MeasuredEvaluation(new EvaluatorResult(step.index(), step.id(), step.data(), measured),
                    metrics));
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
