package io.finetune4j.runtime.train;

import java.util.Map;

/** Receives the training log: one call per logging step, values by name ({@code loss}, {@code learning_rate}). */
@FunctionalInterface
public interface MetricsSink {
    /** Drops everything. */
    MetricsSink NONE = (stage, step, values) -> {};

    /**
     * @param stage the stage's name
     * @param step optimizer step, counted from 1
     * @param values in a stable order; non-finite values may occur (a diverging run)
     */
    void record(String stage, int step, Map<String, Double> values);
}
