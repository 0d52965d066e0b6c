package io.finetune4j.runner.eval;

import java.nio.file.Path;
import java.util.List;

/**
 * What one evaluator of a stage measured at one point (before or after training).
 *
 * @param index the evaluator's position in the stage's {@code evaluators} list
 */
public record EvaluatorResult(int index, String id, Path data, List<MetricResult> metrics) {
    public EvaluatorResult {
        metrics = List.copyOf(metrics);
    }
}
