package io.finetune4j.peft.quant;

/**
 * The 4-bit NormalFloat data type of QLoRA (Dettmers et al., "QLoRA: Efficient Finetuning of Quantized
 * LLMs", 2023), exactly as bitsandbytes defines it: the 16 code values of
 * {@code bitsandbytes/backends/utils.py _NF4_QUANT_TABLE} (= {@code functional.get_4bit_type("nf4")}) and
 * the decision thresholds of the CUDA kernel {@code dQuantizeNF4} ({@code csrc/kernels.cu}), which are the
 * midpoints between adjacent codes. A value equal to a threshold goes to the lower code, as the kernel's
 * {@code x > threshold} tree and the default backend's {@code argmin} both do.
 */
public final class Nf4 {
    /** NF4 code values by 4-bit index, ascending; index 7 is exactly zero. */
    private static final float[] CODE = {
        -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
        -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
        0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
        0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f,
    };

    /** {@code dQuantizeNF4}'s pivots in ascending order: code {@code i} wins when {@code x > THRESHOLDS[i-1]}. */
    private static final float[] THRESHOLDS = {
        -0.8480964004993439f, -0.6106329262256622f, -0.4599952697753906f, -0.33967943489551544f,
        -0.23460740596055984f, -0.13791173323988914f, -0.045525018125772476f, 0.03979014977812767f,
        0.1202552504837513f, 0.2035212516784668f, 0.2920137718319893f, 0.3893125355243683f,
        0.5016634166240692f, 0.6427869200706482f, 0.8614784181118011f,
    };

    private Nf4() {}

    /** A copy of the 16 code values. */
    public static float[] code() {
        return CODE.clone();
    }

    /** A copy of the 15 decision thresholds. */
    public static float[] thresholds() {
        return THRESHOLDS.clone();
    }

    public static float value(int index) {
        return CODE[index];
    }

    /**
     * The 4-bit index of a value already normalised by its block's absmax. The kernel's binary tree in
     * branch-free form: the number of thresholds strictly below {@code x}. NaN (an all-zero block, where
     * bitsandbytes computes {@code 0 * (1/0)}) compares false everywhere and gives index 0, as on CUDA.
     */
    public static int quantize(float x) {
        int index = 0;
        for (float threshold : THRESHOLDS) {
            if (x > threshold) {
                index++;
            }
        }
        return index;
    }
}
