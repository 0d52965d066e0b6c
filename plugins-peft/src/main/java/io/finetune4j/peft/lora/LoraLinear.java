package io.finetune4j.peft.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.Dropout;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.Linear;
import io.finetune4j.peft.tuner.WrapperLinear;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A frozen linear layer with low-rank updates beside it, PEFT's {@code lora.Linear}:
 * {@code y = base(x) + Σ_active (B · A · dropout(x)) · scaling} with {@code A [r, in]}, {@code B [out, r]},
 * {@code scaling = lora_alpha / r} (or {@code / sqrt(r)} with rsLoRA). As in PEFT the layer holds several
 * <em>named</em> adapters (PEFT's {@code lora_A[adapter_name]}) over one base weight; only the active ones
 * apply, summed in activation order (PEFT's {@code for active_adapter in self.active_adapters}). With a
 * magnitude vector an adapter is DoRA (PEFT's {@code DoraLinearLayer}, see {@link #forward}). A GPT-2 Conv1D
 * base ({@link Linear#transposed()}, PEFT's {@code fan_in_fan_out}) works unchanged: the adapter sees the
 * logical {@code in -> out} map and only norms and merges look at the stored layout. While the model's
 * adapters are disabled, or when no adapter of this layer is active, the layer is exactly its base.
 *
 * <p>The single-adapter accessors ({@link #loraA()}, {@link #loraB()}, {@link #scaling()}, {@link #rank()},
 * {@link #magnitude()}) describe the <em>primary</em> adapter: the first active one, else the first added.
 */
public final class LoraLinear implements WrapperLinear {
    /** PEFT's adapter name when none is given. */
    public static final String DEFAULT_ADAPTER = "default";

    /**
     * One named adapter of a layer.
     *
     * @param a {@code [r, in]}
     * @param b {@code [out, r]}
     * @param scaling a 0-d float32 array (never a Java number in autograd code; STACK.md)
     * @param scalingValue the same scaling as a double
     * @param magnitude DoRA's {@code [out]} magnitude vector, or null for plain LoRA
     */
    record Adapter(NDArray a, NDArray b, NDArray scaling, double scalingValue, NDArray magnitude, float dropout) {
        int rank() {
            return Math.toIntExact(a.getShape().get(0));
        }
    }

    private final Linear base;
    private final CausalLM model;
    private final Map<String, Adapter> adapters = new LinkedHashMap<>();
    private List<String> active = List.of();

    /**
     * A layer with one adapter named {@value #DEFAULT_ADAPTER}, active.
     *
     * @param loraA {@code [r, in]}
     * @param loraB {@code [out, r]}
     * @param scaling a 0-d float32 array holding the scaling (an array, never a Java number, so autograd
     *     does not keep a scalar the GC may free; STACK.md)
     * @param magnitude DoRA's {@code [out]} magnitude vector, or null for plain LoRA
     * @param model asked on every forward whether adapters are enabled
     */
    LoraLinear(Linear base, NDArray loraA, NDArray loraB, NDArray scaling, NDArray magnitude, float dropout,
               CausalLM model) {
        this(base, model);
        addAdapter(DEFAULT_ADAPTER, loraA, loraB, scaling, magnitude, dropout);
        setActive(List.of(DEFAULT_ADAPTER));
    }

    LoraLinear(Linear base, NDArray loraA, NDArray loraB, NDArray scaling, float dropout, CausalLM model) {
        this(base, loraA, loraB, scaling, null, dropout, model);
    }

    /** A layer without adapters yet: exactly its base until {@link #addAdapter} and {@link #setActive}. */
    LoraLinear(Linear base, CausalLM model) {
        this.base = Objects.requireNonNull(base, "base is null");
        this.model = Objects.requireNonNull(model, "model is null");
    }

    /** Adds adapter {@code name} (inactive until {@link #setActive} names it); see the record for shapes. */
    void addAdapter(String name, NDArray loraA, NDArray loraB, NDArray scaling, NDArray magnitude, float dropout) {
        Objects.requireNonNull(name, "name is null");
        if (adapters.containsKey(name)) {
            throw new IllegalArgumentException("layer " + base.name() + " already has adapter '" + name + "'");
        }
        adapters.put(name, new Adapter(Objects.requireNonNull(loraA, "loraA is null"),
                Objects.requireNonNull(loraB, "loraB is null"), Objects.requireNonNull(scaling, "scaling is null"),
                scaling.getFloat(), magnitude, dropout));
    }

    /** Removes adapter {@code name} (its arrays stay open: their manager belongs to the method). */
    void removeAdapter(String name) {
        adapters.remove(name);
        List<String> remaining = new ArrayList<>(active);
        remaining.remove(name);
        active = List.copyOf(remaining);
    }

    /** Makes exactly {@code names} active, in this order; names this layer does not hold are skipped. */
    void setActive(List<String> names) {
        active = names.stream().filter(adapters::containsKey).distinct().toList();
    }

    /** The adapter named {@code name}, or null. */
    Adapter adapter(String name) {
        return adapters.get(name);
    }

    /** Names of this layer's adapters, in the order they were added. */
    public Set<String> adapterNames() {
        return Collections.unmodifiableSet(adapters.keySet());
    }

    /** Names of the adapters that apply on forward, in order. */
    public List<String> activeAdapters() {
        return active;
    }

    private Adapter primary() {
        if (!active.isEmpty()) {
            return adapters.get(active.get(0));
        }
        if (adapters.isEmpty()) {
            throw new IllegalStateException("layer " + base.name() + " has no adapter");
        }
        return adapters.values().iterator().next();
    }

    /**
     * Per active adapter, LoRA: {@code + s·B·A·dropout(x)}. DoRA (PEFT's {@code DoraLinearVariant.forward}),
     * with {@code n = ‖W + s·B·A‖} per output feature computed from detached factors and treated as a constant
     * in backprop (DoRA paper, section 4.3), {@code g = m / n}:
     * {@code + (g - 1)·(dropout(x)·Wᵀ) + g·s·B·A·dropout(x)}, where without dropout {@code x·Wᵀ} is
     * {@code base(x)} minus the bias, so the bias is never scaled.
     */
    @Override
    public NDArray forward(NDArray x, boolean training) {
        NDArray baseResult = base.forward(x, training);                 // [..., out]
        if (!model.adaptersEnabled() || active.isEmpty()) {
            return baseResult;
        }
        NDArray result = baseResult;
        for (String name : active) {
            result = apply(adapters.get(name), result, x, baseResult, training);
        }
        return result;
    }

    /** {@code result} {@code [..., out]} plus one adapter's contribution. */
    private NDArray apply(Adapter adapter, NDArray result, NDArray x, NDArray baseResult, boolean training) {
        boolean dropping = training && adapter.dropout() > 0;
        NDArray input = dropping ? Dropout.dropout(x, adapter.dropout(), true).singletonOrThrow() : x;
        // x leads every op so each result joins the caller's (step) manager, not the adapter's.
        NDArray down = input.getNDArrayInternal().linear(input, adapter.a(), null).singletonOrThrow(); // [..., r]
        NDArray up = down.getNDArrayInternal().linear(down, adapter.b(), null).singletonOrThrow();     // [..., out]
        if (adapter.magnitude() == null) {
            return result.add(up.mul(adapter.scaling()));
        }
        NDManager step = up.getManager();
        NDArray norm = weightNorm(adapter, step);                                                        // [out]
        NDArray factor = step.ones(norm.getShape()).div(norm).mul(adapter.magnitude());                  // [out] m / n
        NDArray withoutBias;                                                                             // [..., out]
        if (!dropping) {
            withoutBias = base.bias().isPresent() ? baseResult.sub(base.bias().get()) : baseResult;
        } else if (base.transposed()) {
            withoutBias = input.matMul(base.weight());
        } else {
            withoutBias = input.getNDArrayInternal().linear(input, base.weight(), null).singletonOrThrow();
        }
        NDArray factorMinusOne = factor.sub(step.ones(new Shape()));
        return result.add(withoutBias.mul(factorMinusOne)).add(up.mul(factor).mul(adapter.scaling()));
    }

    /**
     * {@code ‖W + s·B·A‖} per output feature ({@code [out]}) of the primary adapter, from copies detached from
     * the autograd graph and owned by {@code step}: norms over the stored rows ({@code [out, in]}) or columns
     * (Conv1D).
     */
    NDArray weightNorm(NDManager step) {
        return weightNorm(primary(), step);
    }

    private NDArray weightNorm(Adapter adapter, NDManager step) {
        NDArray a = adapter.a().stopGradient();
        a.attach(step);
        NDArray b = adapter.b().stopGradient();
        b.attach(step);
        NDArray delta = base.transposed() ? a.transpose().matMul(b.transpose()) : b.matMul(a); // stored layout
        NDArray combined = delta.mul(adapter.scaling()).add(base.weight());
        return combined.square().sum(new int[] {base.transposed() ? 0 : 1}).sqrt().stopGradient();
    }

    /** {@code [r, in]} of the primary adapter. */
    public NDArray loraA() {
        return primary().a();
    }

    /** {@code [out, r]} of the primary adapter. */
    public NDArray loraB() {
        return primary().b();
    }

    /** DoRA's {@code [out]} magnitude vector of the primary adapter, empty for plain LoRA. */
    public Optional<NDArray> magnitude() {
        return Optional.ofNullable(primary().magnitude());
    }

    /** The primary adapter's scaling factor ({@code alpha / r}, or {@code alpha / sqrt(r)} with rsLoRA). */
    public double scaling() {
        return primary().scalingValue();
    }

    /** The primary adapter's rank. */
    public int rank() {
        return primary().rank();
    }

    /** {@code [r, in]} of adapter {@code name}. */
    public NDArray loraA(String name) {
        return require(name).a();
    }

    /** {@code [out, r]} of adapter {@code name}. */
    public NDArray loraB(String name) {
        return require(name).b();
    }

    /** The scaling factor of adapter {@code name}. */
    public double scaling(String name) {
        return require(name).scalingValue();
    }

    private Adapter require(String name) {
        Adapter adapter = adapters.get(name);
        if (adapter == null) {
            throw new IllegalArgumentException("layer " + base.name() + " has no adapter '" + name + "'; it has "
                    + adapters.keySet());
        }
        return adapter;
    }

    @Override public Linear base() { return base; }

    @Override
    public String toString() {
        if (adapters.isEmpty()) {
            return "LoraLinear[" + base + ", no adapter]";
        }
        Adapter primary = primary();
        String kind = primary.magnitude() == null ? "LoraLinear[" : "DoraLinear[";
        return adapters.size() == 1 ? kind + base + ", r=" + primary.rank() + "]"
                : kind + base + ", r=" + primary.rank() + ", adapters=" + adapters.keySet() + ", active=" + active + "]";
    }
}
