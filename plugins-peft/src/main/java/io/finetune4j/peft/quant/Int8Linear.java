package io.finetune4j.peft.quant;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.model.Linear;
import java.nio.ByteBuffer;

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
public final class Int8Linear extends AbstractQuantizedLinear {
    private NDArray codes;     // INT8 [out, in]
    private NDArray rowScales; // FLOAT32 [out, 1] = SCB / 127

    private Int8Linear(Linear source, byte[] codes, float[] rowAbsmax, NDManager parent) {
        super(source, parent);
        int in = source.inFeatures();
        int out = source.outFeatures();
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
        float[] rowAbsmax = new float[source.outFeatures()];
        byte[] codes = codes(logical, source.outFeatures(), source.inFeatures(), rowAbsmax);
        return new Int8Linear(source, codes, rowAbsmax, parent);
    }

    /**
     * {@code int8_vectorwise_dequant(int8_vectorwise_quant(W))} of a logical {@code [out, in]} row-major weight:
     * exactly the values an {@link Int8Linear} of it computes with (LoftQ's 8-bit quantiser).
     */
    public static float[] roundTrip(float[] logical, int out, int in) {
        float[] rowAbsmax = new float[out];
        byte[] codes = codes(logical, out, in, rowAbsmax);
        float[] values = new float[logical.length];
        for (int o = 0; o < out; o++) {
            float scale = rowAbsmax[o] / 127f;
            for (int i = 0; i < in; i++) {
                values[o * in + i] = codes[o * in + i] * scale;
            }
        }
        return values;
    }

    /** Row-wise absmax int8 codes of {@code logical}; fills {@code rowAbsmax} ({@code SCB}). */
    private static byte[] codes(float[] logical, int out, int in, float[] rowAbsmax) {
        byte[] codes = new byte[logical.length];
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
        return codes;
    }

    @Override
    protected NDArray decode(NDManager target) {
        NDArray weight = codes.toType(DataType.FLOAT32, true);
        weight.attach(target);              // [out, in], step-owned
        return weight.muli(rowScales);      // CB · SCB / 127
    }






    @Override
    protected long codeBytes() {
        return QuantMemory.bytes(codes) + QuantMemory.bytes(rowScales);
    }

    @Override
    protected void dropCodes() {
        codes = rowScales = null;
    }

    @Override
    public String scheme() {
        return "int8";
    }







}
