package io.finetune4j.runner.eval;

import io.finetune4j.api.eval.Metric;
import java.util.List;

/**
 * One evaluator's run with its metrics kept, so a later evaluation of the same examples can be paired
 * with it.
 *
 * @param metrics the evaluator's metrics, in the order of {@code result.metrics()}
 */
public record MeasuredEvaluation(EvaluatorResult result, List<Metric> metrics) {
    public MeasuredEvaluation {
        metrics = List.copyOf(metrics);
    }

    /** The results alone, for code that needs no per-example scores. */
    public static List<EvaluatorResult> results(List<MeasuredEvaluation> evaluations) {
        return evaluations.stream().map(MeasuredEvaluation::result).toList();
    }
}
