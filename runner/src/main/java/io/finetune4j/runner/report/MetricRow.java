package io.finetune4j.runner.report;

import io.finetune4j.runner.eval.Interval;
import java.nio.file.Path;
import java.util.Optional;

/**
 * One metric of one evaluator of one stage, before and/or after training, with the paired comparison
 * when it was measured at both points.
 *
 * @param forgettingCheck the evaluator measures general ability (see {@link MetricRows#isForgettingCheck})
 */
public record MetricRow(String stage, int evaluatorIndex, String evaluatorId, Path data, String metric,
                        boolean higherIsBetter, Optional<Interval> before, Optional<Interval> after,
                        Optional<PairedComparison> comparison, boolean forgettingCheck) {

    /** True when this is a forgetting check and the trained model is significantly worse on it. */
    public boolean forgot() {
        return forgettingCheck && comparison.map(PairedComparison::significantlyWorse).orElse(false);
    }
}
