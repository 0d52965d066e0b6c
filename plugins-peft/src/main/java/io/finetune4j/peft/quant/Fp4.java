package io.finetune4j.peft.quant;

/**
 * bitsandbytes' 4-bit float (FP4: 1 sign bit, 2 exponent bits, 1 mantissa bit, exponent bias 3, with
 * subnormals), exactly as bitsandbytes defines it:
 * <ul>
 *   <li>code values: {@code functional.get_4bit_type("fp4")}, the magnitudes
 *       {@code [0, 0.0625, 8, 12, 4, 6, 2, 3]} for bits {@code 0b000 .. 0b111} divided by their absmax 12 in
 *       float32 ({@code data.div_(data.abs().max())}), equal to {@code csrc/kernels.cu}'s
 *       {@code fp4_dequantization_lut}; bit {@code 0b1000} is the sign, so index 8 is {@code -0.0};</li>
 *   <li>encoding: the CUDA kernel {@code dQuantizeFP4} ({@code csrc/kernels.cu}): the sign bit for
 *       {@code x < 0}, then a binary search of {@code |x|} over the midpoints between adjacent magnitudes
 *       ({@code 0.00260417, 0.0859375, 0.20833333, 0.29166667, 0.4166667, 0.583333, 0.8333333}); a value
 *       equal to a pivot goes to the lower code ({@code x > pivot}).</li>
 * </ul>
 * The code is not ordered by index (unlike {@link Nf4}): {@code 0b010} is 8/12 and {@code 0b100} is 4/12.
 */
public final class Fp4 {
    /** Magnitude of bits {@code 0b000 .. 0b111} before normalisation (the comment table of get_4bit_type). */
    private static final float[] RAW = {0f, 0.0625f, 8f, 12f, 4f, 6f, 2f, 3f};

    /** The 16 code values by 4-bit index: {@code RAW[i & 7] / 12}, negated when bit 3 is set. */
    private static final float[] CODE = new float[16];

    static {
        for (int i = 0; i < 16; i++) {
            float magnitude = RAW[i & 0b0111] / 12f;   // float32 division, as torch's div_ on a float32 tensor
            CODE[i] = (i & 0b1000) != 0 ? -magnitude : magnitude;
        }
    }

    private Fp4() {}

    /** A copy of the 16 code values by index. */
    public static float[] code() {
        return CODE.clone();
    }

    public static float value(int index) {
        return CODE[index];
    }

    /**
     * {@code dQuantizeFP4}: the 4-bit index of a value already normalised by its block's absmax. NaN (an
     * all-zero block: {@code 0 * (1/0)}) compares false everywhere and gives index 0, as on CUDA.
     */
    public static int quantize(float x) {
        int sign = x < 0 ? 0b1000 : 0b0000;
        float a = Math.abs(x);
        int bits;
        if (a > 0.29166667f) {
            if (a > 0.583333f) {
                bits = a > 0.8333333f ? 0b0011 : 0b0010;
            } else {
                bits = a > 0.4166667f ? 0b0101 : 0b0100;
            }
        } else if (a > 0.0859375f) {
            bits = a > 0.20833333f ? 0b0111 : 0b0110;
        } else {
            bits = a > 0.00260417f ? 0b0001 : 0b0000;
        }
        return bits + sign;
    }
}
