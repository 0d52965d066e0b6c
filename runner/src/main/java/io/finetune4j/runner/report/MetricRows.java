package io.finetune4j.runner.report;

import io.finetune4j.api.eval.Metric;
import io.finetune4j.runner.config.EvaluatorSpec;
import io.finetune4j.runner.config.StageSpec;
import io.finetune4j.runner.eval.EvaluationLoop;
import io.finetune4j.runner.eval.MeasuredEvaluation;
import io.finetune4j.runner.eval.Interval;
import io.finetune4j.runner.eval.MetricResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Lines up a stage's before and after evaluations (by evaluator index and metric name) and pairs them.
 *
 * <p>Forgetting check: an evaluator whose data file name contains {@code general} (any case, e.g.
 * {@code data/general.jsonl}, {@code general-text.jsonl}) measures what the model should keep, not what
 * the stage teaches. The stage forgot when the trained model is significantly worse on it (paired
 * bootstrap, p &lt; 0.05 in the metric's worse direction).
 */
public final class MetricRows {
    private MetricRows() {}

    public static boolean isForgettingCheck(Path data) {
        Path name = data.getFileName();
        return name != null && name.toString().toLowerCase(Locale.ROOT).contains("general");
    }

    /** One row per evaluator and metric, in evaluator order, then metric order. */
    public static List<MetricRow> of(StageSpec stage, List<MeasuredEvaluation> measuredBefore,
                                     List<MeasuredEvaluation> measuredAfter, PairedBootstrap paired) {
        List<MetricRow> rows = new ArrayList<>();
        long seed = stage.training().seed();
        for (int i = 0; i < stage.evaluators().size(); i++) {
            EvaluatorSpec spec = stage.evaluators().get(i);
            Optional<MeasuredEvaluation> before = find(measuredBefore, i);
            Optional<MeasuredEvaluation> after = find(measuredAfter, i);
            List<String> names = new ArrayList<>();
            before.ifPresent(b -> b.metrics().forEach(m -> names.add(m.name())));
            after.ifPresent(a -> a.metrics().stream().map(Metric::name).filter(n -> !names.contains(n))
                    .forEach(names::add));
            for (String name : names) {
                Optional<Metric> beforeMetric = before.flatMap(b -> metric(b, name));
                Optional<Metric> afterMetric = after.flatMap(a -> metric(a, name));
                Metric any = beforeMetric.or(() -> afterMetric).orElseThrow();
                Optional<PairedComparison> comparison = Optional.empty();
                if (beforeMetric.isPresent() && afterMetric.isPresent()) {
                    // Its own stream, distinct from the interval's, the same on every run of this pipeline.
                    long pairSeed = EvaluationLoop.metricSeed(seed, i, any.name()) ^ 0x5DEECE66DL;
                    comparison = Optional.of(paired.compare(beforeMetric.get(), afterMetric.get(), pairSeed));
                }
                rows.add(new MetricRow(stage.name(), i, spec.plugin().id(), spec.data(), name,
                        any.higherIsBetter(), before.flatMap(b -> interval(b, name)),
                        after.flatMap(a -> interval(a, name)), comparison, isForgettingCheck(spec.data())));
            }
        }
        return rows;
    }

    private static Optional<MeasuredEvaluation> find(List<MeasuredEvaluation> evaluations, int index) {
        return evaluations.stream().filter(e -> e.result().index() == index).findFirst();
    }

    private static Optional<Metric> metric(MeasuredEvaluation evaluation, String name) {
        return evaluation.metrics().stream().filter(m -> m.name().equals(name)).findFirst();
    }

    private static Optional<Interval> interval(MeasuredEvaluation evaluation, String name) {
        return evaluation.result().metrics().stream().filter(m -> m.name().equals(name)).findFirst()
                .map(MetricResult::interval);
    }
}
