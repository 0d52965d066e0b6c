package io.finetune4j.api.objective;

import ai.djl.ndarray.NDManager;
import io.finetune4j.api.Stable;
import java.util.List;

/**
 * Turns batches of training examples into a loss. The trainer owns the order of examples, the
 * optimizer and gradient scopes; the objective owns tokenization, collation and the loss math.
 */
@Stable
public interface Objective {
    /** Number of training examples; the trainer draws batches of indices in {@code [0, exampleCount())}. */
    int exampleCount();

    /**
     * Forward pass and loss of the examples at {@code indices}, run inside the trainer's gradient
     * collector. Every array goes into {@code step}, which the trainer closes after the update.
     */
    ObjectiveStep compute(List<Integer> indices, NDManager step);
}
