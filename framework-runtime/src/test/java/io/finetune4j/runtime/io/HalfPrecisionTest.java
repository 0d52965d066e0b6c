package io.finetune4j.runtime.io;

import static io.finetune4j.runtime.io.HalfPrecision.bf16ToFloat;
import static io.finetune4j.runtime.io.HalfPrecision.f16ToFloat;
import static io.finetune4j.runtime.io.HalfPrecision.floatToBf16;
import static io.finetune4j.runtime.io.HalfPrecision.floatToF16;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Expected bit patterns are IEEE 754 binary16 / bfloat16 facts, not outputs of the code under test. */
class HalfPrecisionTest {

    private static short bits(int value) {
        return (short) value;
    }

    @Test
    void f16NormalsWidenToKnownValues() {
        assertThat(f16ToFloat(bits(0x3C00))).isEqualTo(1.0f);
        assertThat(f16ToFloat(bits(0xC000))).isEqualTo(-2.0f);
        assertThat(f16ToFloat(bits(0x7BFF))).isEqualTo(65504.0f);
        assertThat(f16ToFloat(bits(0x0400))).isEqualTo(0x1p-14f);
        assertThat(f16ToFloat(bits(0x3555))).isEqualTo(0x1.554p-2f);
    }

    @Test
    void f16SubnormalsAndZerosWidenExactly() {
        assertThat(f16ToFloat(bits(0x0001))).isEqualTo(0x1p-24f);
        assertThat(f16ToFloat(bits(0x03FF))).isEqualTo(1023 * 0x1p-24f);
        assertThat(f16ToFloat(bits(0x8001))).isEqualTo(-0x1p-24f);
        assertThat(Float.floatToRawIntBits(f16ToFloat(bits(0x0000)))).isEqualTo(0);
        assertThat(Float.floatToRawIntBits(f16ToFloat(bits(0x8000)))).isEqualTo(0x80000000);
    }

    @Test
    void f16InfinitiesAndNanWiden() {
        assertThat(f16ToFloat(bits(0x7C00))).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(f16ToFloat(bits(0xFC00))).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(f16ToFloat(bits(0x7E00))).isNaN();
        assertThat(f16ToFloat(bits(0x7C01))).isNaN();
    }

    @Test
    void floatNarrowsToKnownF16Patterns() {
        assertThat(floatToF16(1.0f)).isEqualTo(bits(0x3C00));
        assertThat(floatToF16(-2.0f)).isEqualTo(bits(0xC000));
        assertThat(floatToF16(65504.0f)).isEqualTo(bits(0x7BFF));
        assertThat(floatToF16(1.0f / 3)).isEqualTo(bits(0x3555));
        assertThat(floatToF16(-0.0f)).isEqualTo(bits(0x8000));
        assertThat(floatToF16(0x1p-24f)).isEqualTo(bits(0x0001));
    }

    @Test
    void f16RoundingTiesGoToEven() {
        assertThat(floatToF16(1 + 0x1p-11f)).isEqualTo(bits(0x3C00));          // halfway 0x3C00 / 0x3C01
        assertThat(floatToF16(1 + 3 * 0x1p-11f)).isEqualTo(bits(0x3C02));      // halfway 0x3C01 / 0x3C02
        assertThat(floatToF16(1 + 0x1p-11f + 0x1p-20f)).isEqualTo(bits(0x3C01)); // just above halfway
        assertThat(floatToF16(0x1p-25f)).isEqualTo(bits(0x0000));              // halfway 0 / smallest subnormal
        assertThat(floatToF16(1.5f * 0x1p-24f)).isEqualTo(bits(0x0002));
        assertThat(floatToF16(2.5f * 0x1p-24f)).isEqualTo(bits(0x0002));
        assertThat(floatToF16(0x1p-14f - 0x1p-25f)).isEqualTo(bits(0x0400));   // rounds up into the normals
    }

    @Test
    void f16OverflowAndUnderflow() {
        assertThat(floatToF16(65519.0f)).isEqualTo(bits(0x7BFF));
        assertThat(floatToF16(65520.0f)).isEqualTo(bits(0x7C00)); // halfway to 65536: even is infinity
        assertThat(floatToF16(1e6f)).isEqualTo(bits(0x7C00));
        assertThat(floatToF16(-1e6f)).isEqualTo(bits(0xFC00));
        assertThat(floatToF16(Float.POSITIVE_INFINITY)).isEqualTo(bits(0x7C00));
        assertThat(floatToF16(1e-10f)).isEqualTo(bits(0x0000));
        assertThat(floatToF16(Float.MIN_VALUE)).isEqualTo(bits(0x0000));
    }

    @Test
    void f16NanStaysNan() {
        short nan = floatToF16(Float.NaN);
        assertThat(nan & 0x7C00).isEqualTo(0x7C00);
        assertThat(nan & 0x03FF).isNotZero();
        assertThat(floatToF16(Float.intBitsToFloat(0x7F800001)) & 0x03FF).isNotZero(); // payload below F16's bits
    }

    @Test
    void everyF16PatternSurvivesWidenAndNarrow() {
        for (int h = 0; h < 0x10000; h++) {
            assertThat(floatToF16(f16ToFloat(bits(h))) & 0xffff).as("0x%04X", h).isEqualTo(h);
        }
    }

    @Test
    void bf16WidensToKnownValues() {
        assertThat(bf16ToFloat(bits(0x3F80))).isEqualTo(1.0f);
        assertThat(bf16ToFloat(bits(0xC000))).isEqualTo(-2.0f);
        assertThat(bf16ToFloat(bits(0x4049))).isEqualTo(3.140625f);
        assertThat(bf16ToFloat(bits(0x7F80))).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(bf16ToFloat(bits(0xFF80))).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(bf16ToFloat(bits(0x7FC0))).isNaN();
        assertThat(bf16ToFloat(bits(0x0001))).isEqualTo(0x1p-133f); // subnormal: 2^-126 × 2^-7
    }

    @Test
    void floatNarrowsToKnownBf16Patterns() {
        assertThat(floatToBf16((float) Math.PI)).isEqualTo(bits(0x4049));
        assertThat(floatToBf16(1.0f)).isEqualTo(bits(0x3F80));
        assertThat(floatToBf16(-2.0f)).isEqualTo(bits(0xC000));
        assertThat(floatToBf16(Float.NEGATIVE_INFINITY)).isEqualTo(bits(0xFF80));
    }

    @Test
    void bf16RoundingTiesGoToEven() {
        assertThat(floatToBf16(Float.intBitsToFloat(0x3F808000))).isEqualTo(bits(0x3F80));
        assertThat(floatToBf16(Float.intBitsToFloat(0x3F818000))).isEqualTo(bits(0x3F82));
        assertThat(floatToBf16(Float.intBitsToFloat(0x3F808001))).isEqualTo(bits(0x3F81));
        assertThat(floatToBf16(Float.intBitsToFloat(0x3F807FFF))).isEqualTo(bits(0x3F80));
    }

    @Test
    void bf16OverflowsToInfinityAndKeepsNan() {
        assertThat(floatToBf16(Float.MAX_VALUE)).isEqualTo(bits(0x7F80));
        short nan = floatToBf16(Float.intBitsToFloat(0x7F800001)); // payload only in the dropped half
        assertThat(bf16ToFloat(nan)).isNaN();
    }

    @Test
    void everyBf16PatternSurvivesWidenAndNarrow() {
        for (int h = 0; h < 0x10000; h++) {
            assertThat(floatToBf16(bf16ToFloat(bits(h))) & 0xffff).as("0x%04X", h).isEqualTo(h);
        }
    }
}
