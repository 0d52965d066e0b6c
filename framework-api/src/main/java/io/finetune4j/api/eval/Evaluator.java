package io.finetune4j.api.eval;

import io.finetune4j.api.Stable;
import java.util.List;

/** Judges a model on a dataset. */
@Stable
public interface Evaluator {
    /**
     * Checks the data before any model work (missing fields, labels outside the set), throwing a
     * {@link io.finetune4j.api.ConfigException} that names the file and line.
     */
    default void checkData(io.finetune4j.api.data.Dataset data) {}

    /** Named metrics with per-example scores; the runner adds confidence intervals and paired tests. */
    List<Metric> evaluate(EvalContext context);
}
