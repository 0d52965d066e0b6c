package io.finetune4j.peft.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class Nf4Test {
    /** bitsandbytes' NF4 table ({@code backends/utils.py _NF4_QUANT_TABLE}, csrc {@code dDequantizeNF4}). */
    private static final float[] BITSANDBYTES_NF4 = {
        -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
        -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
        0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
        0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f,
    };

    @Test
    void codeTableEqualsBitsandbytes() {
        assertThat(Nf4.code()).containsExactly(BITSANDBYTES_NF4);
    }

    @Test
    void thresholdsAreMidpointsOfAdjacentCodes() {
        float[] thresholds = Nf4.thresholds();
        assertThat(thresholds).hasSize(15);
        for (int i = 0; i < 15; i++) {
            double midpoint = (BITSANDBYTES_NF4[i] + (double) BITSANDBYTES_NF4[i + 1]) / 2;
            assertThat((double) thresholds[i]).as("threshold %d", i).isCloseTo(midpoint, within(1e-7));
        }
    }

    @Test
    void quantizeIsNearestCodeWithTiesToTheLowerCode() {
        Random random = new Random(7);
        for (int n = 0; n < 10_000; n++) {
            float x = random.nextFloat() * 2 - 1;
            int best = 0;
            for (int i = 1; i < 16; i++) {
                if (Math.abs(x - BITSANDBYTES_NF4[i]) < Math.abs(x - BITSANDBYTES_NF4[best])) {
                    best = i;
                }
            }
            assertThat(Nf4.quantize(x)).as("x=%s", x).isEqualTo(best);
        }
        float[] thresholds = Nf4.thresholds();
        for (int i = 0; i < 15; i++) {
            assertThat(Nf4.quantize(thresholds[i])).isEqualTo(i);
            assertThat(Nf4.quantize(Math.nextUp(thresholds[i]))).isEqualTo(i + 1);
        }
    }

    @Test
    void packsFirstElementIntoTheHighNibbleBlockByBlock() {
        // block 0: the 16 codes in order (absmax 2); block 1: in reverse order (absmax 0.5); 4 times each
        float[] values = new float[128];
        for (int i = 0; i < 64; i++) {
            values[i] = BITSANDBYTES_NF4[i % 16] * 2f;
            values[64 + i] = BITSANDBYTES_NF4[15 - i % 16] * 0.5f;
        }
        Nf4Weights weights = Nf4Weights.quantize(values, 64, false);

        byte[] expected = new byte[64];
        byte[] ascending = {0x01, 0x23, 0x45, 0x67, (byte) 0x89, (byte) 0xAB, (byte) 0xCD, (byte) 0xEF};
        byte[] descending = {(byte) 0xFE, (byte) 0xDC, (byte) 0xBA, (byte) 0x98, 0x76, 0x54, 0x32, 0x10};
        for (int k = 0; k < 4; k++) {
            System.arraycopy(ascending, 0, expected, 8 * k, 8);
            System.arraycopy(descending, 0, expected, 32 + 8 * k, 8);
        }
        assertThat(weights.packed()).containsExactly(expected);
        assertThat(weights.absmax()).containsExactly(2f, 0.5f);
        assertThat(weights.dequantize()).containsExactly(values);
    }

    @Test
    void gaussianErrorStaysWithinHalfTheLargestCodeGapTimesAbsmax() {
        Random random = new Random(11);
        float[] values = new float[64 * 512];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (0.02 * random.nextGaussian());
        }
        Nf4Weights weights = Nf4Weights.quantize(values, 64, false);
        float[] restored = weights.dequantize();

        double largestGap = 0;
        for (int i = 0; i < 15; i++) {
            largestGap = Math.max(largestGap, BITSANDBYTES_NF4[i + 1] - (double) BITSANDBYTES_NF4[i]);
        }
        double sumAbs = 0;
        for (int block = 0; block < 512; block++) {
            double absmax = 0;
            for (int i = 64 * block; i < 64 * (block + 1); i++) {
                absmax = Math.max(absmax, Math.abs(values[i]));
            }
            assertThat((double) weights.absmax()[block]).isEqualTo(absmax);
            for (int i = 64 * block; i < 64 * (block + 1); i++) {
                double error = Math.abs(values[i] - (double) restored[i]);
                assertThat(error).as("element %d", i).isLessThanOrEqualTo(largestGap / 2 * absmax * (1 + 1e-6));
                sumAbs += error;
            }
        }
        // NF4 on normal weights, blocks of 64: mean |error| is about 0.08 sigma (here 0.02)
        double meanAbs = sumAbs / values.length;
        assertThat(meanAbs / 0.02).isBetween(0.04, 0.12);
    }

    @Test
    void allZeroBlockRestoresZerosWithoutDoubleQuant() {
        float[] values = new float[128];
        values[64] = 1f;

        float[] restored = Nf4Weights.quantize(values, 64, false).dequantize();
        for (int i = 0; i < values.length; i++) {
            assertThat(restored[i] == values[i]).as("element %d: %s", i, restored[i]).isTrue(); // -0.0 == 0.0
        }
    }

    @Test
    void allZeroBlockWithDoubleQuantIsOffByItsAbsmaxReconstructionError() {
        // as in bitsandbytes: 0 * (1/0) is NaN, index 0 (-1.0), times the nested absmax, which only
        // approximates 0 (offset - dynamic[q] * absmax2)
        float[] values = new float[128];
        values[64] = 1f;
        Nf4Weights weights = Nf4Weights.quantize(values, 64, true);
        float[] restored = weights.dequantize();

        float zeroBlockScale = weights.blockScales()[0];
        assertThat(Math.abs(zeroBlockScale)).isLessThan(0.01f);
        for (int i = 0; i < 64; i++) {
            assertThat(restored[i]).isEqualTo(-zeroBlockScale);
        }
    }

    @Test
    void partialLastBlockDequantisesItsRealElements() {
        Random random = new Random(3);
        float[] values = new float[100];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        Nf4Weights weights = Nf4Weights.quantize(values, 64, false);

        assertThat(weights.blocks()).isEqualTo(2);
        double tailMax = 0;
        for (int i = 64; i < 100; i++) {
            tailMax = Math.max(tailMax, Math.abs(values[i]));
        }
        assertThat((double) weights.absmax()[1]).isEqualTo(tailMax);
        float[] restored = weights.dequantize();
        assertThat(restored).hasSize(100);
        for (int i = 64; i < 100; i++) {
            int nibble = i % 2 == 0 ? (weights.packed()[i / 2] & 0xFF) >>> 4 : weights.packed()[i / 2] & 0x0F;
            assertThat(restored[i]).isEqualTo(BITSANDBYTES_NF4[nibble] * weights.absmax()[1]);
        }
    }
}
