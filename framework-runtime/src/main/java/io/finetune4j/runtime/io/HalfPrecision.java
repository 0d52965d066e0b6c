package io.finetune4j.runtime.io;

/**
 * IEEE binary16 (F16) and bfloat16 (BF16) conversions in plain Java. Java 17 has no
 * {@code Float.float16ToFloat}, and DJL's {@code toType(BFLOAT16)} aborts the JVM on CPU (STACK.md), so
 * checkpoints in half precision are widened and narrowed here.
 *
 * <p>Narrowing rounds to nearest, ties to even, as PyTorch's {@code .half()} and {@code .bfloat16()} do.
 * Widening is exact, so half → float → half is the identity on every bit pattern (NaN payloads included).
 */
public final class HalfPrecision {
    private HalfPrecision() {}

    /** The float32 value of the F16 bit pattern {@code bits} (low 16 bits used). */
    public static float f16ToFloat(short bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1f;
        int mantissa = h & 0x3ff;
        if (exponent == 0x1f) {
            // Inf or NaN; the payload moves to the top of float32's mantissa so narrowing gives it back.
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            // Zero or subnormal: mantissa × 2^-24, exact in float32.
            float magnitude = mantissa * 0x1p-24f;
            return sign == 0 ? magnitude : -magnitude;
        }
        // Normal: rebias the exponent from 15 to 127.
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    /** The F16 bit pattern nearest to {@code value} (ties to even; overflow to ±inf). */
    public static short floatToF16(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int exponent = (bits >>> 23) & 0xff;
        int mantissa = bits & 0x7fffff;
        if (exponent == 0xff) {
            if (mantissa == 0) {
                return (short) (sign | 0x7c00);
            }
            int payload = mantissa >>> 13;
            return (short) (sign | 0x7c00 | (payload == 0 ? 0x200 : payload)); // stays a NaN
        }
        int halfExponent = exponent - 127 + 15;
        if (halfExponent >= 0x1f) {
            return (short) (sign | 0x7c00);
        }
        if (halfExponent >= 1) {
            int half = (halfExponent << 10) | (mantissa >>> 13);
            int rest = mantissa & 0x1fff;
            if (rest > 0x1000 || (rest == 0x1000 && (half & 1) != 0)) {
                half++; // a carry may reach the exponent, up to 0x7c00 (inf): still the right rounding
            }
            return (short) (sign | half);
        }
        if (exponent == 0) {
            return (short) sign; // float32 subnormals are far below F16's smallest subnormal (2^-24)
        }
        // F16 subnormal: the 24-bit significand × 2^(exponent - 150), in units of 2^-24.
        int significand = mantissa | 0x800000;
        int shift = 126 - exponent;
        if (shift > 24) {
            return (short) sign; // below half the smallest subnormal
        }
        int half = significand >>> shift;
        int rest = significand & ((1 << shift) - 1);
        int halfway = 1 << (shift - 1);
        if (rest > halfway || (rest == halfway && (half & 1) != 0)) {
            half++; // 0x400 is the smallest normal: the encoding carries over correctly
        }
        return (short) (sign | half);
    }

    /** The float32 value of the BF16 bit pattern {@code bits}: bfloat16 is float32's top half. */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /** The BF16 bit pattern nearest to {@code value} (ties to even; overflow to ±inf). */
    public static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7f800000) == 0x7f800000 && (bits & 0x7fffff) != 0) {
            int top = bits >>> 16;
            return (short) ((top & 0x7f) != 0 ? top : top | 0x40); // keep it a NaN
        }
        int lsb = (bits >>> 16) & 1;
        return (short) ((bits + 0x7fff + lsb) >>> 16);
    }
}
