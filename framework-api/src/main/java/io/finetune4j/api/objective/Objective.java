package io.finetune4j.api.objective;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.finetune4j.api.Stable;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

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

    /**
     * Parameters the objective trains itself (a reward or value head), keyed by the names they are saved
     * under; the trainer optimises them together with the method's. Each has {@code requiresGradient} set.
     */
    default Map<String, NDArray> trainableParameters() {
        return Map.of();
    }

    /**
     * Whether the trainer adds the method's {@code regularizationLoss} (AdaLoRA's orthogonality penalty) to this
     * objective's loss. PEFT (v0.20 {@code AdaLoraModel.forward}) adds it only where the model's forward computes
     * a loss from labels: TRL's SFT does, its DPO, ORPO, KTO, reward, PPO and GRPO trainers call the model without
     * labels and do not. Objectives of the second kind return {@code false}; the default keeps the penalty.
     */
    default boolean addsMethodRegularization() {
        return true;
    }

    /** Writes the objective's own artifacts (a reward head) into the stage directory after training. */
    default void save(Path stageDir) {}
}
