package io.finetune4j.peft.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.finetune4j.api.model.Linear;
import java.util.Optional;

/**
 * What every quantised layer shares: the source layer's shape, layout and float32 bias, the sub-manager
 * that owns the codes, forward through an on-the-fly dequantisation, the {@link #weight()} copy and
 * {@link #materialize()}. Subclasses hold the codes and say how to decode them.
 */
abstract class AbstractQuantizedLinear implements QuantizedLinear {
    private final String name;
    private final int in;
    private final int out;
    private final boolean transposed;
    private final NDArray bias;
    private final NDManager parent;
    /** Owns the codes and constants; null once closed. */
    protected NDManager manager;
    private NDManager copies;
    private NDArray dense;

    AbstractQuantizedLinear(Linear source, NDManager parent) {
        this.name = source.name();
        this.in = source.inFeatures();
        this.out = source.outFeatures();
        this.transposed = source.transposed();
        this.bias = source.bias().orElse(null);
        this.parent = parent;
        this.manager = parent.newSubManager();
    }

    /** The weight decoded from the codes, logical {@code [out, in]}, every intermediate in {@code target}. */
    protected abstract NDArray decode(NDManager target);

    /** Bytes the codes and constants hold. */
    protected abstract long codeBytes();

    /** Forgets the codes after {@link #materialize()} freed their manager. */
    protected abstract void dropCodes();

    @Override
    public final NDArray dequantize(NDManager target) {
        if (dense != null) {
            NDArray copy = target.create(dense.toFloatArray(), dense.getShape());
            return transposed ? copy.transpose() : copy;
        }
        return decode(target);
    }

    @Override
    public final NDArray forward(NDArray x, boolean training) {
        if (dense != null) {
            NDArray y = transposed ? x.matMul(dense) : x.getNDArrayInternal().linear(x, dense, null).singletonOrThrow();
            return bias == null ? y : y.add(bias);
        }
        NDArray weight = decode(x.getManager());                                       // [out, in], step-owned
        return x.getNDArrayInternal().linear(x, weight, bias).singletonOrThrow();      // [..., out]
    }

    /** A dequantised float32 copy in the stored layout, kept until the next call, release or close. */
    @Override
    public final NDArray weight() {
        if (dense != null) {
            return dense;
        }
        releaseWeightCopy();
        copies = manager.newSubManager();
        NDManager scratch = copies.newSubManager();
        NDArray logical = decode(scratch);
        NDArray stored = transposed ? logical.transpose() : logical;
        NDArray copy = copies.create(stored.toFloatArray(), stored.getShape());
        scratch.close();
        return copy;
    }

    @Override
    public final void releaseWeightCopy() {
        if (copies != null) {
            copies.close();
            copies = null;
        }
    }

    @Override
    public final void materialize() {
        if (dense != null) {
            return;
        }
        try (NDManager scratch = parent.newSubManager()) {
            NDArray logical = decode(scratch);
            NDArray stored = transposed ? logical.transpose() : logical;
            dense = parent.create(stored.toFloatArray(), stored.getShape());
        }
        close();
        dropCodes();
    }

    @Override
    public final boolean materialized() {
        return dense != null;
    }

    @Override
    public final long storageBytes() {
        return dense != null ? QuantMemory.bytes(dense) : codeBytes();
    }

    /** The API's memory report: the packed codes and scales ({@link #storageBytes()}). */
    @Override
    public long weightBytes() {
        return storageBytes();
    }

    @Override
    public final void close() {
        releaseWeightCopy();
        if (manager != null) {
            manager.close();
            manager = null;
        }
    }

    @Override public final String name() { return name; }

    @Override public final int inFeatures() { return in; }

    @Override public final int outFeatures() { return out; }

    @Override public final Optional<NDArray> bias() { return Optional.ofNullable(bias); }

    @Override public final boolean transposed() { return transposed; }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + name + ", " + in + " -> " + out + ", " + scheme()
                + (dense != null ? ", dequantised" : "") + "]";
    }
}
