package io.finetune4j.peft.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.norm.Dropout;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.Linear;
import java.util.Objects;
import java.util.Optional;

/**
 * A frozen linear layer with a low-rank update beside it, PEFT's {@code lora.Linear}:
 * {@code y = base(x) + (B · A · dropout(x)) · scaling} with {@code A [r, in]}, {@code B [out, r]},
 * {@code scaling = lora_alpha / r}. A GPT-2 Conv1D base ({@link Linear#transposed()}, PEFT's
 * {@code fan_in_fan_out}) works unchanged: the adapter sees the logical {@code in -> out} map and only a
 * merge has to transpose. While the model's adapters are disabled the layer is exactly its base.
 */
public final class LoraLinear implements Linear {
    private final Linear base;
    private final NDArray loraA;
    private final NDArray loraB;
    private final NDArray scaling;
    private final float dropout;
    private final CausalLM model;

    /**
     * @param loraA {@code [r, in]}
     * @param loraB {@code [out, r]}
     * @param scaling a 0-d float32 array holding {@code lora_alpha / r} (an array, never a Java number, so
     *     autograd does not keep a scalar the GC may free; STACK.md)
     * @param model asked on every forward whether adapters are enabled
     */
    LoraLinear(Linear base, NDArray loraA, NDArray loraB, NDArray scaling, float dropout, CausalLM model) {
        this.base = Objects.requireNonNull(base, "base is null");
        this.loraA = Objects.requireNonNull(loraA, "loraA is null");
        this.loraB = Objects.requireNonNull(loraB, "loraB is null");
        this.scaling = Objects.requireNonNull(scaling, "scaling is null");
        this.dropout = dropout;
        this.model = Objects.requireNonNull(model, "model is null");
    }

    @Override
    public NDArray forward(NDArray x, boolean training) {
        NDArray result = base.forward(x, training);                     // [..., out]
        if (!model.adaptersEnabled()) {
            return result;
        }
        NDArray input = training && dropout > 0 ? Dropout.dropout(x, dropout, true).singletonOrThrow() : x;
        // x leads every op so each result joins the caller's (step) manager, not the adapter's.
        NDArray down = input.getNDArrayInternal().linear(input, loraA, null).singletonOrThrow(); // [..., r]
        NDArray up = down.getNDArrayInternal().linear(down, loraB, null).singletonOrThrow();     // [..., out]
        return result.add(up.mul(scaling));
    }

    /** {@code [r, in]}. */
    public NDArray loraA() {
        return loraA;
    }

    /** {@code [out, r]}. */
    public NDArray loraB() {
        return loraB;
    }

    @Override public String name() { return base.name(); }

    @Override public int inFeatures() { return base.inFeatures(); }

    @Override public int outFeatures() { return base.outFeatures(); }

    @Override public NDArray weight() { return base.weight(); }

    @Override public Optional<NDArray> bias() { return base.bias(); }

    @Override public boolean transposed() { return base.transposed(); }

    @Override public Linear base() { return base; }

    @Override
    public String toString() {
        return "LoraLinear[" + base + ", r=" + loraA.getShape().get(0) + "]";
    }
}
