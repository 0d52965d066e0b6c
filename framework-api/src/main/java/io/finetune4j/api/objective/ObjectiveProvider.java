package io.finetune4j.api.objective;

import io.finetune4j.api.PluginProvider;
import io.finetune4j.api.Stable;

/**
 * Creates one training objective (SFT, DPO, ...). Listed in
 * {@code META-INF/services/io.finetune4j.api.objective.ObjectiveProvider}.
 */
@Stable
public interface ObjectiveProvider<C extends Record> extends PluginProvider<C> {
    /**
     * Prepares the objective: reads and tokenizes the training data, rejecting bad rows with their file
     * and line. Runs before the first training step.
     */
    Objective create(C config, ObjectiveContext context);
}
