package io.finetune4j.peft.quant;

import java.util.Arrays;

/**
 * bitsandbytes' signed dynamic 8-bit data type ({@code functional.create_dynamic_map(signed=True,
 * max_exponent_bits=7, total_bits=8)}; Dettmers, "8-Bit Approximations for Parallelism in Deep Learning",
 * 2016) and the blockwise 8-bit quantisation that uses it ({@code quantize_blockwise} /
 * {@code dequantize_blockwise}), which QLoRA's double quantisation applies to the absmax constants.
 */
public final class DynamicMap {
    private static final float[] CODE = create();

    private DynamicMap() {}

    /** A copy of the 256 sorted code values. */
    public static float[] code() {
        return CODE.clone();
    }

    public static float value(int index) {
        return CODE[index];
    }

    /**
     * {@code create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8)}, in float32 as torch
     * computes it: for exponent {@code i} in 0..6, {@code 2^i + 1} boundaries {@code linspace(0.1, 1)},
     * their midpoints times {@code 10^(i-6)}, with both signs; then 0 and 1, sorted (127 + 127 + 2 = 256
     * values; {@code additional_items} is 0 for these arguments).
     */
    private static float[] create() {
        int maxExponentBits = 7;
        int nonSignBits = 7;
        float[] data = new float[256];
        int count = 0;
        for (int i = 0; i < maxExponentBits; i++) {
            int fractionItems = (1 << (i + nonSignBits - maxExponentBits)) + 1;
            float[] boundaries = linspace(0.1f, 1.0f, fractionItems);
            float scale = (float) Math.pow(10, -(maxExponentBits - 1) + i);
            for (int j = 0; j + 1 < boundaries.length; j++) {
                float mean = (boundaries[j] + boundaries[j + 1]) / 2.0f;
                data[count++] = scale * mean;
                data[count++] = -(scale * mean);
            }
        }
        data[count++] = 0f;
        data[count++] = 1.0f;
        if (count != 256) {
            throw new IllegalStateException("dynamic map has " + count + " values, expected 256");
        }
        Arrays.sort(data);
        return data;
    }

    /** {@code torch.linspace} on float32 (ATen's CPU kernel: from the start up to halfway, then from the end). */
    private static float[] linspace(float start, float end, int steps) {
        float[] values = new float[steps];
        float step = (end - start) / (steps - 1);
        int halfway = steps / 2;
        for (int i = 0; i < steps; i++) {
            values[i] = i < halfway ? start + step * i : end - step * (steps - i - 1);
        }
        return values;
    }

    /** Index of the code nearest to {@code x} (the lower one on a tie, as {@code torch.argmin}). */
    public static int nearest(float x) {
        int insertion = Arrays.binarySearch(CODE, x);
        if (insertion >= 0) {
            return insertion;
        }
        int above = -insertion - 1;
        if (above == 0) {
            return 0;
        }
        if (above == CODE.length) {
            return CODE.length - 1;
        }
        int below = above - 1;
        return Math.abs(x - CODE[below]) <= Math.abs(x - CODE[above]) ? below : above;
    }

    /**
     * bitsandbytes' {@code quantize_blockwise(values, code=dynamic, blocksize)}: per block the absmax of
     * |x|, then {@code clamp(x * (1 / absmax), -1, 1)} to the nearest code. {@code values.length} must be a
     * multiple of {@code blocksize} (callers pad with zeros, which change no block's absmax).
     */
    public static Blockwise quantizeBlockwise(float[] values, int blocksize) {
        if (values.length % blocksize != 0) {
            throw new IllegalArgumentException(values.length + " values are not a multiple of blocksize " + blocksize);
        }
        int blocks = values.length / blocksize;
        byte[] codes = new byte[values.length];
        float[] absmax = new float[blocks];
        for (int block = 0; block < blocks; block++) {
            float max = 0f;
            for (int i = block * blocksize; i < (block + 1) * blocksize; i++) {
                max = Math.max(max, Math.abs(values[i]));
            }
            absmax[block] = max;
            float inverse = 1.0f / max;
            for (int i = block * blocksize; i < (block + 1) * blocksize; i++) {
                float scaled = Math.max(-1f, Math.min(1f, values[i] * inverse));
                codes[i] = (byte) nearest(scaled);
            }
        }
        return new Blockwise(codes, absmax, blocksize);
    }

    /**
     * The result of {@link #quantizeBlockwise}.
     *
     * @param codes one unsigned 8-bit index into the dynamic map per value
     * @param absmax one float32 scale per block
     */
    public record Blockwise(byte[] codes, float[] absmax, int blocksize) {
        /** {@code dequantize_blockwise}: {@code code[q] * absmax[i / blocksize]}. */
        public float[] dequantize() {
            float[] values = new float[codes.length];
            for (int i = 0; i < values.length; i++) {
                values[i] = CODE[codes[i] & 0xFF] * absmax[i / blocksize];
            }
            return values;
        }
    }
}
