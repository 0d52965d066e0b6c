package io.finetune4j.peft.glora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.model.Linear;
import io.finetune4j.peft.tuner.WrapperLinear;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * A frozen linear layer under GLoRA (Chavan et al. 2023, eq. 10; ViT-Slim {@code GLoRA/layer.py}
 * {@code SuperScalableLinear.forward}): {@code y = x · W'ᵀ + b'} with {@code W' = W0 + W0 ⊙ A + B} and
 * {@code b' = b0 + b0 ⊙ D + E + W0 · C}, computed as {@code base(x) + x · ΔWᵀ + Δb} with
 * {@code ΔW = W0 ⊙ A + B} ({@code [out, in]}, logical layout) and {@code Δb = b0 ⊙ D + E + W0 · C} ({@code [out]}).
 * A layer without a bias has {@code b0 = 0}, so {@code D} does nothing there. While the model's adapters are
 * disabled the layer is exactly its base.
 */
public final class GloraLinear implements WrapperLinear {
    private final Linear base;
    private final GloraSupport a;
    private final GloraSupport b;
    private final GloraSupport c;
    private final GloraSupport d;
    private final GloraSupport e;
    private final BooleanSupplier adaptersEnabled;

    GloraLinear(Linear base, GloraSupport a, GloraSupport b, GloraSupport c, GloraSupport d, GloraSupport e,
                BooleanSupplier adaptersEnabled) {
        this.base = Objects.requireNonNull(base, "base is null");
        this.a = a;
        this.b = b;
        this.c = c;
        this.d = d;
        this.e = e;
        this.adaptersEnabled = Objects.requireNonNull(adaptersEnabled, "adaptersEnabled is null");
    }

    @Override
    public NDArray forward(NDArray x, boolean training) {
        NDArray result = base.forward(x, training);                                   // [..., out]
        if (!adaptersEnabled.getAsBoolean()) {
            return result;
        }
        NDManager step = x.getManager();
        NDArray deltaWeight = deltaWeight(step);
        if (deltaWeight != null) {
            result = result.add(x.getNDArrayInternal().linear(x, deltaWeight, null).singletonOrThrow());
        }
        NDArray deltaBias = deltaBias(step);
        return deltaBias == null ? result : result.add(deltaBias);
    }

    /** The logical {@code W0} {@code [out, in]}: the stored weight, or a step-owned transposed view for Conv1D. */
    private NDArray logicalWeight(NDManager step) {
        if (!base.transposed()) {
            return base.weight();
        }
        NDArray view = base.weight().transpose();                                     // [out, in]
        view.attach(step);
        return view;
    }

    /** {@code W0 ⊙ A + B} {@code [out, in]} owned by {@code step} (broadcast from a vector or scalar), or null. */
    NDArray deltaWeight(NDManager step) {
        NDArray weight = logicalWeight(step);
        NDArray delta = a.none() ? null : a.value(step).mul(weight);
        if (!b.none()) {
            NDArray shift = b.value(step);
            delta = delta == null ? shift.add(step.zeros(new Shape(outFeatures(), inFeatures()))) : delta.add(shift);
        }
        return delta;
    }

    /** {@code b0 ⊙ D + E + W0 · C} {@code [out]} (or {@code [1]} for a lone scalar E) owned by {@code step}, or null. */
    NDArray deltaBias(NDManager step) {
        NDArray delta = null;
        if (!d.none() && base.bias().isPresent()) {
            delta = d.value(step).mul(base.bias().get());
        }
        if (!e.none()) {
            delta = delta == null ? e.value(step) : delta.add(e.value(step));
        }
        if (!c.none()) {
            NDArray support = c.value(step);                                          // [in, 1] or [1, 1]
            NDArray column = step.ones(new Shape(inFeatures(), 1)).mul(support).reshape(1, inFeatures()); // [1, in]
            NDArray prompt = column.getNDArrayInternal().linear(column, logicalWeight(step), null)
                    .singletonOrThrow().reshape(outFeatures());                       // [out] = W0 · C
            delta = delta == null ? prompt : delta.add(prompt);
        }
        return delta;
    }

    /** True when the layer's update changes the bias, so merging needs a bias to fold it into. */
    boolean shiftsBias() {
        return !c.none() || !e.none() || (!d.none() && base.bias().isPresent());
    }

    @Override public Linear base() { return base; }

    @Override
    public String toString() {
        return "GloraLinear[" + base + ", A=" + a.spec().type() + ", B=" + b.spec().type() + ", C=" + c.spec().type()
                + ", D=" + d.spec().type() + ", E=" + e.spec().type() + "]";
    }
}
