package io.finetune4j.peft.qlora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.peft.quant.FourBitType;
import io.finetune4j.peft.quant.Fp4;
import io.finetune4j.peft.quant.Nf4Linear;
import io.finetune4j.peft.quant.Nf4Weights;
import io.finetune4j.peft.quant.QuantMemory;
import io.finetune4j.peft.quant.QuantTables;
import io.finetune4j.runtime.model.DenseLinear;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** bitsandbytes' FP4 code, encoder, packing and memory, against bitsandbytes' own constants and hand computations. */
class Fp4Test {
    /** bitsandbytes {@code csrc/kernels.cu} {@code fp4_dequantization_lut} (bits 0b000..0b111), sign in bit 3. */
    private static final float[] KERNEL_LUT = {
        0.0f, 0.005208333333f, 0.66666667f, 1.0f, 0.33333333f, 0.5f, 0.16666667f, 0.25f,
    };
    /** The magnitudes in ascending order, for the nearest-value checks. */
    private static final float[] SORTED = {0f, 0.005208333333f, 0.16666667f, 0.25f, 0.33333333f, 0.5f, 0.66666667f, 1f};
    /** {@code dQuantizeFP4}'s pivots. */
    private static final float[] PIVOTS = {0.00260417f, 0.0859375f, 0.20833333f, 0.29166667f, 0.4166667f, 0.583333f, 0.8333333f};

    @Test
    void codeIsBitsandbytesFp4Table() {
        float[] expected = new float[16];
        for (int i = 0; i < 8; i++) {
            expected[i] = KERNEL_LUT[i];
            expected[i + 8] = -KERNEL_LUT[i];   // index 8 is -0.0, as get_4bit_type's "-0"
        }
        assertThat(Fp4.code()).containsExactly(expected);
        assertThat(Float.floatToRawIntBits(Fp4.value(8))).isEqualTo(Float.floatToRawIntBits(-0.0f));
        // get_4bit_type("fp4"): [0, 0.0625, 8, 12, 4, 6, 2, 3] / 12
        double[] raw = {0, 0.0625, 8, 12, 4, 6, 2, 3};
        for (int i = 0; i < 8; i++) {
            assertThat((double) Fp4.value(i)).isCloseTo(raw[i] / 12, within(1e-7));
        }
    }

    @Test
    void encoderPicksTheNearestMagnitudeAndTheSignBit() {
        Random random = new Random(3);
        for (int n = 0; n < 20000; n++) {
            float x = (float) (random.nextDouble() * 2 - 1);
            float magnitude = Math.abs(x);
            boolean nearPivot = false;
            for (float pivot : PIVOTS) {
                nearPivot |= Math.abs(magnitude - pivot) < 1e-5f;
            }
            if (nearPivot) {
                continue;
            }
            float nearest = SORTED[0];
            for (float value : SORTED) {
                if (Math.abs(magnitude - value) < Math.abs(magnitude - nearest)) {
                    nearest = value;
                }
            }
            int index = Fp4.quantize(x);
            assertThat(Math.abs(Fp4.value(index))).as("x=%s", x).isEqualTo(nearest);
            assertThat((index & 0b1000) != 0).as("sign of x=%s", x).isEqualTo(x < 0);
        }
        // a value equal to a pivot goes to the lower magnitude (the kernel's x > pivot)
        for (int i = 0; i < PIVOTS.length; i++) {
            assertThat(Math.abs(Fp4.value(Fp4.quantize(PIVOTS[i])))).isEqualTo(SORTED[i]);
            assertThat(Math.abs(Fp4.value(Fp4.quantize(Math.nextUp(PIVOTS[i]))))).isEqualTo(SORTED[i + 1]);
        }
        assertThat(Fp4.quantize(Float.NaN)).isZero();
        assertThat(Fp4.quantize(1f)).isEqualTo(0b0011);
        assertThat(Fp4.quantize(-1f)).isEqualTo(0b1011);
    }

    @Test
    void packsTheFirstElementIntoTheHighNibble() {
        float[] values = new float[64];
        values[0] = 2.0f;    // the block's absmax: +1.0 → 0b0011
        values[1] = -1.0f;   // -0.5 → 0b1101
        values[2] = 0.5f;    // 0.25 → 0b0111
        values[3] = 0.0f;    // 0 → 0b0000
        Nf4Weights weights = Nf4Weights.quantize(values, 64, false, FourBitType.FP4);

        assertThat(weights.packed()[0]).isEqualTo((byte) 0x3D);
        assertThat(weights.packed()[1]).isEqualTo((byte) 0x70);
        assertThat(weights.absmax()).containsExactly(2.0f);
        assertThat(Arrays.copyOf(weights.dequantize(), 4)).containsExactly(2.0f, -1.0f, 0.5f, 0.0f);
    }

    @Test
    void roundTripErrorOfGaussianWeightsStaysWithinHalfTheCodeGap() {
        Random random = new Random(7);
        float[] w = new float[64 * 200];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (0.02 * random.nextGaussian());
        }
        float[] restored = Nf4Weights.quantize(w, 64, false, FourBitType.FP4).dequantize();
        double squared = 0;
        for (int block = 0; block < 200; block++) {
            double absmax = 0;
            for (int i = block * 64; i < (block + 1) * 64; i++) {
                absmax = Math.max(absmax, Math.abs(w[i]));
            }
            for (int i = block * 64; i < (block + 1) * 64; i++) {
                double normalised = Math.abs(w[i]) / absmax;
                double halfGap = 0;
                for (int k = 0; k + 1 < SORTED.length; k++) {
                    if (normalised >= SORTED[k] && normalised <= SORTED[k + 1]) {
                        halfGap = (SORTED[k + 1] - SORTED[k]) / 2.0;
                    }
                }
                assertThat(Math.abs((double) restored[i] - w[i])).as("element %d", i)
                        .isLessThanOrEqualTo(halfGap * absmax + 1e-7);
                squared += ((double) restored[i] - w[i]) * ((double) restored[i] - w[i]);
            }
        }
        // the largest gap is 1/3 of absmax, so no error exceeds absmax/6; the RMS error is far below it
        assertThat(Math.sqrt(squared / w.length)).isLessThan(0.02 * 0.2);
    }

    @Test
    void storesFourBitsPerWeightPlusTheDoubleQuantisedAbsmax() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Random random = new Random(1);
            float[] w = new float[256 * 256];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) (0.02 * random.nextGaussian());
            }
            DenseLinear dense = new DenseLinear("proj", manager.create(w, new Shape(256, 256)), null, false);
            QuantTables tables = new QuantTables(manager);

            Nf4Linear layer = Nf4Linear.quantize(dense, 64, true, FourBitType.FP4, tables, manager);
            QuantMemory.Report report = QuantMemory.of(layer);

            // 256·256/2 packed bytes + 1024 one-byte absmax codes + 4 nested float scales + 1 float offset
            assertThat(report.quantizedBytes()).isEqualTo(32768 + 1024 + 4 * 4 + 4);
            assertThat(report.ratio()).isCloseTo((4 + 8.0 / 64 + 32.0 / (64 * 256)) / 32, within(1e-4));
            assertThat(report.ratio()).isEqualTo(QuantMemory.of(Nf4Linear.quantize(dense, 64, true, tables, manager)).ratio());
            assertThat(layer.scheme()).isEqualTo("fp4+dq");
            // the layer decodes exactly what the Java reference decodes
            float[] expected = Nf4Weights.quantize(w, 64, true, FourBitType.FP4).dequantize();
            try (NDManager scratch = manager.newSubManager()) {
                assertThat(layer.dequantize(scratch).toFloatArray()).containsExactly(expected);
            }
        }
    }
}
