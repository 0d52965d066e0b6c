package io.finetune4j.peft.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.model.Linear;
import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * A frozen linear layer stored in 8 bits, the weight half of bitsandbytes' {@code Linear8bitLt}
 * (LLM.int8(), Dettmers et al. 2022): row-wise absmax quantisation of the logical {@code [out, in]}
 * weight, {@code SCB[o] = max|W[o, :]|}, {@code CB = round(W · 127 / SCB)} as int8
 * ({@code int8_vectorwise_quant}), dequantised as {@code CB · SCB / 127}
 * ({@code int8_vectorwise_dequant}).
 *
 * <p>Not implemented: LLM.int8()'s outlier decomposition ({@code threshold=6.0} keeps input columns with
 * outliers in 16 bits) and the int8 × int8 matmul of the activations; here the weight is dequantised and
 * the matmul runs in float32, so only the weight's rounding differs from the float layer.
 *
 * <p>{@link #weight()} costs a float32 copy of the weight each call, kept until the next call,
 * {@link #releaseWeightCopy()} or {@link #close()}.
 */
public final class Int8Linear implements QuantizedLinear {
    private final String name;
    private final int in;
    private final int out;
    private final boolean transposed;
    private final NDArray bias;
    private final NDManager parent;
    private NDManager manager;
    private NDArray codes;     // INT8 [out, in]
    private NDArray rowScales; // FLOAT32 [out, 1] = SCB / 127
    private NDManager copies;
    private NDArray dense;

    private Int8Linear(Linear source, byte[] codes, float[] rowAbsmax, NDManager parent) {
        this.name = source.name();
        this.in = source.inFeatures();
        this.out = source.outFeatures();
        this.transposed = source.transposed();
        this.bias = source.bias().orElse(null);
        this.parent = parent;
        this.manager = parent.newSubManager();
        ByteBuffer buffer = ByteBuffer.allocateDirect(codes.length);
        buffer.put(codes).flip();
        this.codes = manager.create(buffer, new Shape(out, in), DataType.INT8);
        float[] scales = new float[out];
        for (int o = 0; o < out; o++) {
            scales[o] = rowAbsmax[o] / 127f;
        }
        this.rowScales = manager.create(scales, new Shape(out, 1));
    }

    /** Quantises {@code source}'s weight row-wise to int8 (its own arrays are left to the caller). */
    public static Int8Linear quantize(Linear source, NDManager parent) {
        float[] logical = Nf4Linear.logicalWeight(source);
        int in = source.inFeatures();
        int out = source.outFeatures();
        byte[] codes = new byte[logical.length];
        float[] rowAbsmax = new float[out];
        for (int o = 0; o < out; o++) {
            float max = 0f;
            for (int i = 0; i < in; i++) {
                max = Math.max(max, Math.abs(logical[o * in + i]));
            }
            rowAbsmax[o] = max;
            float scale = 127.0f / max;
            for (int i = 0; i < in; i++) {
                // torch.round is round-half-to-even, as Math.rint; an all-zero row gives 0 * inf = NaN -> 0
                float scaled = logical[o * in + i] * scale;
                codes[o * in + i] = Float.isNaN(scaled) ? 0 : (byte) Math.rint(scaled);
            }
        }
        return new Int8Linear(source, codes, rowAbsmax, parent);
    }

    @Override
    public NDArray dequantize(NDManager target) {
        if (dense != null) {
            NDArray copy = target.create(dense.toFloatArray(), dense.getShape());
            return transposed ? copy.transpose() : copy;
        }
        NDArray weight = codes.toType(DataType.FLOAT32, true);
        weight.attach(target);              // [out, in], step-owned
        return weight.muli(rowScales);      // CB · SCB / 127
    }

    @Override
    public NDArray forward(NDArray x, boolean training) {
        if (dense != null) {
            NDArray y = transposed ? x.matMul(dense) : x.getNDArrayInternal().linear(x, dense, null).singletonOrThrow();
            return bias == null ? y : y.add(bias);
        }
        NDArray weight = dequantize(x.getManager());                              // [out, in]
        return x.getNDArrayInternal().linear(x, weight, bias).singletonOrThrow(); // [..., out]
    }

    @Override
    public NDArray weight() {
        if (dense != null) {
            return dense;
        }
        releaseWeightCopy();
        copies = manager.newSubManager();
        NDManager scratch = copies.newSubManager();
        NDArray logical = dequantize(scratch);
        NDArray stored = transposed ? logical.transpose() : logical;
        NDArray copy = copies.create(stored.toFloatArray(), stored.getShape());
        scratch.close();
        return copy;
    }

    @Override
    public void releaseWeightCopy() {
        if (copies != null) {
            copies.close();
            copies = null;
        }
    }

    @Override
    public void materialize() {
        if (dense != null) {
            return;
        }
        try (NDManager scratch = parent.newSubManager()) {
            NDArray logical = dequantize(scratch);
            NDArray stored = transposed ? logical.transpose() : logical;
            dense = parent.create(stored.toFloatArray(), stored.getShape());
        }
        close();
        codes = rowScales = null;
    }

    @Override
    public boolean materialized() {
        return dense != null;
    }

    @Override
    public long storageBytes() {
        return dense != null ? QuantMemory.bytes(dense) : QuantMemory.bytes(codes) + QuantMemory.bytes(rowScales);
    }

    @Override
    public String scheme() {
        return "int8";
    }

    @Override
    public void close() {
        releaseWeightCopy();
        if (manager != null) {
            manager.close();
            manager = null;
        }
    }

    @Override public String name() { return name; }

    @Override public int inFeatures() { return in; }

    @Override public int outFeatures() { return out; }

    @Override public Optional<NDArray> bias() { return Optional.ofNullable(bias); }

    @Override public boolean transposed() { return transposed; }

    @Override
    public String toString() {
        return "Int8Linear[" + name + ", " + in + " -> " + out + (dense != null ? ", dequantised" : "") + "]";
    }
}
