package io.finetune4j.peft.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.Dropout;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.Linear;
import java.util.Objects;
import java.util.Optional;

/**
 * A frozen linear layer with a low-rank update beside it, PEFT's {@code lora.Linear}:
 * {@code y = base(x) + (B · A · dropout(x)) · scaling} with {@code A [r, in]}, {@code B [out, r]},
 * {@code scaling = lora_alpha / r} (or {@code / sqrt(r)} with rsLoRA). With a magnitude vector it is DoRA
 * (PEFT's {@code DoraLinearLayer}, see {@link #forward}). A GPT-2 Conv1D base ({@link Linear#transposed()},
 * PEFT's {@code fan_in_fan_out}) works unchanged: the adapter sees the logical {@code in -> out} map and only
 * norms and merges look at the stored layout. While the model's adapters are disabled the layer is exactly
 * its base.
 */
public final class LoraLinear implements Linear {
    private final Linear base;
    private final NDArray loraA;
    private final NDArray loraB;
    private final NDArray scaling;
    private final double scalingValue;
    private final NDArray magnitude;
    private final float dropout;
    private final CausalLM model;

    /**
     * @param loraA {@code [r, in]}
     * @param loraB {@code [out, r]}
     * @param scaling a 0-d float32 array holding the scaling (an array, never a Java number, so autograd
     *     does not keep a scalar the GC may free; STACK.md)
     * @param magnitude DoRA's {@code [out]} magnitude vector, or null for plain LoRA
     * @param model asked on every forward whether adapters are enabled
     */
    LoraLinear(Linear base, NDArray loraA, NDArray loraB, NDArray scaling, NDArray magnitude, float dropout,
               CausalLM model) {
        this.base = Objects.requireNonNull(base, "base is null");
        this.loraA = Objects.requireNonNull(loraA, "loraA is null");
        this.loraB = Objects.requireNonNull(loraB, "loraB is null");
        this.scaling = Objects.requireNonNull(scaling, "scaling is null");
        this.scalingValue = scaling.getFloat();
        this.magnitude = magnitude;
        this.dropout = dropout;
        this.model = Objects.requireNonNull(model, "model is null");
    }

    LoraLinear(Linear base, NDArray loraA, NDArray loraB, NDArray scaling, float dropout, CausalLM model) {
        this(base, loraA, loraB, scaling, null, dropout, model);
    }

    /**
     * LoRA: {@code base(x) + s·B·A·dropout(x)}. DoRA (PEFT's {@code DoraLinearVariant.forward}), with
     * {@code n = ‖W + s·B·A‖} per output feature computed from detached factors and treated as a constant in
     * backprop (DoRA paper, section 4.3), {@code g = m / n}:
     * {@code base(x) + (g - 1)·(dropout(x)·Wᵀ) + g·s·B·A·dropout(x)}, where without dropout
     * {@code x·Wᵀ} is {@code base(x)} minus the bias, so the bias is never scaled.
     */
    @Override
    public NDArray forward(NDArray x, boolean training) {
        NDArray result = base.forward(x, training);                     // [..., out]
        if (!model.adaptersEnabled()) {
            return result;
        }
        boolean dropping = training && dropout > 0;
        NDArray input = dropping ? Dropout.dropout(x, dropout, true).singletonOrThrow() : x;
        // x leads every op so each result joins the caller's (step) manager, not the adapter's.
        NDArray down = input.getNDArrayInternal().linear(input, loraA, null).singletonOrThrow(); // [..., r]
        NDArray up = down.getNDArrayInternal().linear(down, loraB, null).singletonOrThrow();     // [..., out]
        if (magnitude == null) {
            return result.add(up.mul(scaling));
        }
        NDManager step = up.getManager();
        NDArray norm = weightNorm(step);                                                          // [out]
        NDArray factor = step.ones(norm.getShape()).div(norm).mul(magnitude);                     // [out] m / n
        NDArray withoutBias;                                                                      // [..., out]
        if (!dropping) {
            withoutBias = base.bias().isPresent() ? result.sub(base.bias().get()) : result;
        } else if (base.transposed()) {
            withoutBias = input.matMul(base.weight());
        } else {
            withoutBias = input.getNDArrayInternal().linear(input, base.weight(), null).singletonOrThrow();
        }
        NDArray factorMinusOne = factor.sub(step.ones(new Shape()));
        return result.add(withoutBias.mul(factorMinusOne)).add(up.mul(factor).mul(scaling));
    }

    /**
     * {@code ‖W + s·B·A‖} per output feature ({@code [out]}), from copies detached from the autograd graph
     * and owned by {@code step}: norms over the stored rows ({@code [out, in]}) or columns (Conv1D).
     */
    NDArray weightNorm(NDManager step) {
        NDArray a = loraA.stopGradient();
        a.attach(step);
        NDArray b = loraB.stopGradient();
        b.attach(step);
        NDArray delta = base.transposed() ? a.transpose().matMul(b.transpose()) : b.matMul(a); // stored layout
        NDArray combined = delta.mul(scaling).add(base.weight());
        return combined.square().sum(new int[] {base.transposed() ? 0 : 1}).sqrt().stopGradient();
    }

    /** {@code [r, in]}. */
    public NDArray loraA() {
        return loraA;
    }

    /** {@code [out, r]}. */
    public NDArray loraB() {
        return loraB;
    }

    /** DoRA's {@code [out]} magnitude vector, empty for plain LoRA. */
    public Optional<NDArray> magnitude() {
        return Optional.ofNullable(magnitude);
    }

    /** The layer's scaling factor ({@code alpha / r}, or {@code alpha / sqrt(r)} with rsLoRA). */
    public double scaling() {
        return scalingValue;
    }

    /** The adapter's rank. */
    public int rank() {
        return Math.toIntExact(loraA.getShape().get(0));
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
        return (magnitude == null ? "LoraLinear[" : "DoraLinear[") + base + ", r=" + rank() + "]";
    }
}
