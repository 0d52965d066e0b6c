package io.finetune4j.api.method;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.finetune4j.api.Stable;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * A method applied to one model: it owns the trainable parameters, takes part in training through
 * hooks, and saves (and merges) what it learned.
 */
@Stable
public interface Method {
    /**
     * The parameters the optimizer updates, keyed by the names they are saved under (PEFT names such as
     * {@code base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight} for adapters, Hugging Face
     * names for full fine-tuning). Each has {@code requiresGradient} set; nothing else in the model does.
     */
    Map<String, NDArray> trainableParameters();

    default long trainableParameterCount() {
        return trainableParameters().values().stream().mapToLong(NDArray::size).sum();
    }

    /**
     * The optimizer settings of trainable parameter {@code name}, given the stage's for it ({@code stage}: the
     * stage's learning rate, and its weight decay, or 0 where the stage does not decay the parameter). The default
     * keeps the stage's; LoRA+ gives {@code lora_B} a larger learning rate (PEFT's
     * {@code create_loraplus_optimizer}).
     */
    default ParameterGroup parameterGroup(String name, ParameterGroup stage) {
        return stage;
    }

    /** An extra loss term added to the objective's (AdaLoRA's orthogonality penalty), in {@code scope}. */
    default Optional<NDArray> regularizationLoss(NDManager scope) {
        return Optional.empty();
    }

    /** Runs after backward and before the optimizer update, with gradients in place. */
    default void afterBackward(StepInfo step) {}

    /** Runs after the optimizer update. */
    default void afterStep(StepInfo step) {}

    /** True when the method's output is an adapter beside an unchanged base (LoRA, IA3, ...). */
    default boolean isAdapter() {
        return true;
    }

    /** Writes the adapter in PEFT's layout ({@code adapter_config.json}, {@code adapter_model.safetensors}). */
    default void saveAdapter(Path dir, String baseModelNameOrPath) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no adapter file");
    }

    /** Replaces the trainable parameters' values with those saved in {@code dir} by {@link #saveAdapter}. */
    default void loadAdapter(Path dir) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no adapter file");
    }

    /** Several named adapters on one base (LoRA), when the method supports them; empty otherwise. */
    default Optional<NamedAdapters> namedAdapters() {
        return Optional.empty();
    }

    /** True when {@link #mergeAndUnload()} can fold the method into plain base weights. */
    default boolean canMerge() {
        return false;
    }

    /** Folds what was learned into the base weights and removes every wrapper and hook. */
    default void mergeAndUnload() {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot be merged");
    }
}
