package io.finetune4j.api.objective;

import ai.djl.ndarray.NDArray;
import io.finetune4j.api.Stable;
import java.util.Map;

/**
 * The result of one micro-batch.
 *
 * @param loss scalar, recorded by autograd, in the step's manager
 * @param tokens tokens processed (for throughput)
 * @param metrics named values for the log, using the reference libraries' names ({@code rewards/chosen})
 */
@Stable
public record ObjectiveStep(NDArray loss, long tokens, Map<String, Double> metrics) {
    public ObjectiveStep {
        metrics = Map.copyOf(metrics);
    }
}
