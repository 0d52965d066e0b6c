package io.finetune4j.runtime.train;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The values logged at one optimizer step: {@code loss}, {@code grad_norm}, {@code learning_rate},
 * {@code epoch}, {@code tokens_per_second}, then the objective's metrics.
 */
public record StepLog(int step, Map<String, Double> values) {
    public StepLog {
        values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /** The value named {@code name}, or NaN when it was not logged. */
    public double value(String name) {
        return values.getOrDefault(name, Double.NaN);
    }
}
