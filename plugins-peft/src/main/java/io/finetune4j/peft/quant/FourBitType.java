package io.finetune4j.peft.quant;

import java.util.Locale;

/**
 * bitsandbytes' 4-bit data types ({@code bnb_4bit_quant_type}): {@code nf4} ({@link Nf4}) and {@code fp4}
 * ({@link Fp4}). Both share blocking, packing and double quantisation ({@link Nf4Weights}); only the code
 * and its encoder differ.
 */
public enum FourBitType {
    NF4 {
        @Override public float value(int index) { return Nf4.value(index); }

        @Override public int quantize(float x) { return Nf4.quantize(x); }
    },
    FP4 {
        @Override public float value(int index) { return Fp4.value(index); }

        @Override public int quantize(float x) { return Fp4.quantize(x); }
    };

    /** The code value of a 4-bit index. */
    public abstract float value(int index);

    /** The 4-bit index of a value normalised by its block's absmax (bitsandbytes' CUDA encoder). */
    public abstract int quantize(float x);

    /** The name bitsandbytes uses: {@code nf4} or {@code fp4}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** {@code nf4} or {@code fp4} (any case). */
    public static FourBitType of(String id) {
        return valueOf(id.toUpperCase(Locale.ROOT));
    }
}
