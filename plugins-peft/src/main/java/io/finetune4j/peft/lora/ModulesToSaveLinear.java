package io.finetune4j.peft.lora;

import ai.djl.ndarray.NDArray;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.Linear;
import io.finetune4j.peft.tuner.WrapperLinear;
import java.util.Objects;
import java.util.Optional;

/**
 * PEFT's {@code ModulesToSaveWrapper} for a linear layer: a trainable copy of the layer's weight (and bias)
 * replaces it while adapters are enabled and its adapter is active; the original stays frozen and serves
 * otherwise.
 */
final class ModulesToSaveLinear implements WrapperLinear {
    private final Linear base;
    private final NDArray weight;
    private final NDArray bias;
    private final CausalLM model;
    private boolean enabled = true;

    /**
     * @param weight a copy of the base weight in the stored layout
     * @param bias a copy of the base bias, or null when the base has none
     */
    ModulesToSaveLinear(Linear base, NDArray weight, NDArray bias, CausalLM model) {
        this.base = Objects.requireNonNull(base, "base is null");
        this.weight = Objects.requireNonNull(weight, "weight is null");
        this.bias = bias;
        this.model = Objects.requireNonNull(model, "model is null");
    }

    @Override
    public NDArray forward(NDArray x, boolean training) {
        if (!model.adaptersEnabled() || !enabled) {
            return base.forward(x, training);
        }
        if (base.transposed()) {
            NDArray y = x.matMul(weight);                                    // [..., out]
            return bias == null ? y : y.add(bias);
        }
        return x.getNDArrayInternal().linear(x, weight, bias).singletonOrThrow(); // [..., out]
    }

    /**
     * Off while the adapter owning the copy is not active (PEFT's {@code ModulesToSaveWrapper} then runs the
     * original module).
     */
    void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    /** The trainable copy of the weight, in the stored layout. */
    NDArray trainedWeight() {
        return weight;
    }

    /** The trainable copy of the bias. */
    Optional<NDArray> trainedBias() {
        return Optional.ofNullable(bias);
    }

    @Override public Linear base() { return base; }

    @Override
    public String toString() {
        return "ModulesToSaveLinear[" + base + "]";
    }
}
