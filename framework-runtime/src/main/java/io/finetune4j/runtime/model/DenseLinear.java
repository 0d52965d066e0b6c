package io.finetune4j.runtime.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.Stable;
import io.finetune4j.api.model.Linear;
import java.util.Objects;
import java.util.Optional;

/**
 * A plain linear layer over a stored weight and an optional bias: Hugging Face's {@code nn.Linear}
 * (weight {@code [out, in]}) or GPT-2's {@code Conv1D} (weight {@code [in, out]}, {@link #transposed()}).
 * Plugins use it to build merged layers and put them in place with {@code CausalLM.replaceLinear}.
 */
@Stable
public final class DenseLinear implements Linear {
    private final String name;
    private final NDArray weight;
    private final NDArray bias;
    private final boolean transposed;
    private final int in;
    private final int out;

    /**
     * @param weight {@code [out, in]}, or {@code [in, out]} when {@code transposed}
     * @param bias {@code [out]} or null
     */
    public DenseLinear(String name, NDArray weight, NDArray bias, boolean transposed) {
        this.name = Objects.requireNonNull(name, "name is null");
        this.weight = Objects.requireNonNull(weight, "weight is null");
        this.bias = bias;
        this.transposed = transposed;
        Shape shape = weight.getShape();
        if (shape.dimension() != 2) {
            throw new IllegalArgumentException(name + ": weight must be 2-D, was " + shape);
        }
        this.in = Math.toIntExact(transposed ? shape.get(0) : shape.get(1));
        this.out = Math.toIntExact(transposed ? shape.get(1) : shape.get(0));
        if (bias != null && !bias.getShape().equals(new Shape(out))) {
            throw new IllegalArgumentException(name + ": bias must be (" + out + "), was " + bias.getShape());
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int inFeatures() {
        return in;
    }

    @Override
    public int outFeatures() {
        return out;
    }

    @Override
    public NDArray forward(NDArray x, boolean training) {
        if (transposed) {
            // Conv1D: addmm(bias, x, weight). x leads every op, so nothing lands in the weight's manager.
            NDArray y = x.matMul(weight);
            return bias == null ? y : y.add(bias);
        }
        // torch.nn.functional.linear: one fused op, result in x's manager.
        return x.getNDArrayInternal().linear(x, weight, bias).singletonOrThrow();
    }

    @Override
    public NDArray weight() {
        return weight;
    }

    @Override
    public long weightBytes() {
        return weight.size() * weight.getDataType().getNumOfBytes();
    }

    @Override
    public Optional<NDArray> bias() {
        return Optional.ofNullable(bias);
    }

    @Override
    public boolean transposed() {
        return transposed;
    }

    @Override
    public String toString() {
        return "DenseLinear[" + name + ", " + in + " -> " + out + (transposed ? ", transposed" : "") + "]";
    }
}
