package io.finetune4j.peft.adalora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.norm.Dropout;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.Linear;
import io.finetune4j.peft.tuner.WrapperLinear;
import java.util.Objects;

/**
 * A frozen linear layer with an SVD-form update beside it, PEFT's {@code adalora.SVDLinear}
 * ({@code peft/tuners/adalora/layer.py}):
 * {@code y = base(x) + (dropout(x) · (A ⊙ E)ᵀ · Bᵀ) · scaling / (ranknum + 1e-5)} with {@code A [r, in]}
 * (right singular vectors), {@code E [r, 1]} (singular values, pruned to zero by the rank allocator),
 * {@code B [out, r]} (left singular vectors), {@code scaling = lora_alpha} and {@code ranknum} the rank the
 * module was created with (PEFT keeps it fixed while E is masked, and after loading a resized module).
 * A GPT-2 Conv1D base works unchanged: the adapter sees the logical {@code in -> out} map. While the
 * model's adapters are disabled the layer is exactly its base.
 */
public final class SvdLinear implements WrapperLinear {
    private final Linear base;
    private final NDArray loraA;
    private final NDArray loraE;
    private final NDArray loraB;
    private final NDArray factor;
    private final double scaling;
    private final float ranknum;
    private final float dropout;
    private final CausalLM model;

    /**
     * @param loraA {@code [r, in]}
     * @param loraE {@code [r, 1]}
     * @param loraB {@code [out, r]}
     * @param factor a 0-d float32 array {@code scaling / (ranknum + 1e-5)} (an array, never a Java number:
     *     autograd must not keep a scalar the GC may free; STACK.md)
     */
    SvdLinear(Linear base, NDArray loraA, NDArray loraE, NDArray loraB, NDArray factor, double scaling, float ranknum,
              float dropout, CausalLM model) {
        this.base = Objects.requireNonNull(base, "base is null");
        this.loraA = Objects.requireNonNull(loraA, "loraA is null");
        this.loraE = Objects.requireNonNull(loraE, "loraE is null");
        this.loraB = Objects.requireNonNull(loraB, "loraB is null");
        this.factor = Objects.requireNonNull(factor, "factor is null");
        this.scaling = scaling;
        this.ranknum = ranknum;
        this.dropout = dropout;
        this.model = Objects.requireNonNull(model, "model is null");
    }

    /** {@code float32(scaling) / (float32(ranknum) + 1e-5)}, as torch evaluates PEFT's expression in float32. */
    static float factor(double scaling, float ranknum) {
        return (float) scaling / (ranknum + 1e-5f);
    }

    @Override
    public NDArray forward(NDArray x, boolean training) {
        NDArray result = base.forward(x, training);                                      // [..., out]
        if (!model.adaptersEnabled() || rank() == 0) {
            return result;
        }
        NDManager step = x.getManager();
        NDArray input = training && dropout > 0 ? Dropout.dropout(x, dropout, true).singletonOrThrow() : x;
        // A ⊙ E is made in the adapter's manager (its first operand); move it to the step so it is freed.
        NDArray scaled = loraA.mul(loraE);                                                // [r, in]
        scaled.attach(step);
        NDArray down = input.getNDArrayInternal().linear(input, scaled, null).singletonOrThrow(); // [..., r]
        NDArray up = down.getNDArrayInternal().linear(down, loraB, null).singletonOrThrow();      // [..., out]
        return result.add(up.mul(factor));
    }

    /** {@code [r, in]}. */
    public NDArray loraA() {
        return loraA;
    }

    /** {@code [r, 1]}. */
    public NDArray loraE() {
        return loraE;
    }

    /** {@code [out, r]}. */
    public NDArray loraB() {
        return loraB;
    }

    /** PEFT's {@code scaling}: {@code lora_alpha} (or the rank when {@code lora_alpha} is 0). */
    public double scaling() {
        return scaling;
    }

    /** PEFT's {@code ranknum}: the rank the module was created with. */
    public float ranknum() {
        return ranknum;
    }

    /** The number of triplets this module holds (masked ones included). */
    public int rank() {
        return Math.toIntExact(loraA.getShape().get(0));
    }

    @Override public Linear base() { return base; }

    @Override
    public String toString() {
        return "SvdLinear[" + base + ", r=" + rank() + "]";
    }
}
