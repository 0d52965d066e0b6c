package io.finetune4j.api.eval;

import io.finetune4j.api.Stable;
import java.util.List;
import java.util.Optional;

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

    /**
     * Scores predictions made elsewhere, with no model ({@code ft4j metrics}); empty for evaluators that
     * need a model (perplexity). Text metrics implement it and call it on their own generations.
     */
    default Optional<List<Metric>> scorePredictions(List<Prediction> predictions) {
        return Optional.empty();
    }
}
