package io.finetune4j.runtime.io.gguf;

import io.finetune4j.runtime.io.HalfPrecision;

/**
 * ggml's Q8_0: blocks of 32 values, each a little-endian f16 scale {@code d = max|x| / 127} followed by 32 int8
 * quants {@code round(x / d)} (half away from zero), 34 bytes a block. The arithmetic is float32, as gguf-py's
 * {@code quants.Q8_0.quantize_blocks} does it: the quants divide by the float32 scale, the file keeps the scale
 * rounded to f16, and dequantisation multiplies by that f16 scale.
 */
public final class Q80Codec {
    public static final int BLOCK = 32;
    public static final int BLOCK_BYTES = 34;

    private Q80Codec() {}

    /** The Q8_0 bytes of {@code values}, whose length must be a multiple of 32. */
    public static byte[] encode(float[] values) {
        if (values.length % BLOCK != 0) {
            throw new IllegalArgumentException("Q8_0 needs a multiple of " + BLOCK + " values, got " + values.length);
        }
        byte[] out = new byte[values.length / BLOCK * BLOCK_BYTES];
        for (int block = 0; block < values.length / BLOCK; block++) {
            int start = block * BLOCK;
            float amax = 0;
            for (int i = 0; i < BLOCK; i++) {
                amax = Math.max(amax, Math.abs(values[start + i]));
            }
            float d = amax / 127f;
            float inverse = d == 0 ? 0 : 1f / d;
            short half = HalfPrecision.floatToF16(d);
            int at = block * BLOCK_BYTES;
            out[at] = (byte) half;
            out[at + 1] = (byte) (half >>> 8);
            for (int i = 0; i < BLOCK; i++) {
                out[at + 2 + i] = (byte) roundHalfAwayFromZero(values[start + i] * inverse);
            }
        }
        return out;
    }

    /** {@code count} values from the Q8_0 blocks at {@code offset} of {@code bytes}. */
    public static float[] decode(byte[] bytes, int offset, int count) {
        if (count % BLOCK != 0) {
            throw new IllegalArgumentException("Q8_0 holds a multiple of " + BLOCK + " values, asked for " + count);
        }
        float[] out = new float[count];
        for (int block = 0; block < count / BLOCK; block++) {
            int at = offset + block * BLOCK_BYTES;
            float d = HalfPrecision.f16ToFloat((short) ((bytes[at] & 0xff) | (bytes[at + 1] & 0xff) << 8));
            for (int i = 0; i < BLOCK; i++) {
                out[block * BLOCK + i] = bytes[at + 2 + i] * d;
            }
        }
        return out;
    }

    /** gguf-py's {@code np_roundf}: C's {@code roundf}, in float32. */
    static int roundHalfAwayFromZero(float x) {
        float a = Math.abs(x);
        float floored = (float) Math.floor(a);
        float rounded = floored + (float) Math.floor(2 * (a - floored));
        return (int) Math.copySign(rounded, x);
    }
}
