package io.finetune4j.peft.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DynamicMapTest {
    /** {@code create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8)}, in double precision. */
    static double[] bitsandbytesDynamicMap() {
        List<Double> data = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            int fractionItems = (int) Math.pow(2, i) + 1;
            double[] boundaries = new double[fractionItems];
            for (int j = 0; j < fractionItems; j++) {
                boundaries[j] = 0.1 + (1.0 - 0.1) * j / (fractionItems - 1);
            }
            for (int j = 0; j + 1 < fractionItems; j++) {
                double mean = (boundaries[j] + boundaries[j + 1]) / 2.0;
                data.add(Math.pow(10, -6 + i) * mean);
                data.add(-Math.pow(10, -6 + i) * mean);
            }
        }
        data.add(0.0);
        data.add(1.0);
        Collections.sort(data);
        return data.stream().mapToDouble(Double::doubleValue).toArray();
    }

    @Test
    void mapEqualsBitsandbytesFormula() {
        double[] expected = bitsandbytesDynamicMap();
        float[] code = DynamicMap.code();

        assertThat(expected).hasSize(256);
        assertThat(code).hasSize(256);
        for (int i = 0; i < 256; i++) {
            // float32 rounding of torch's linspace/means: within a few ulps
            assertThat((double) code[i]).as("code[%d]", i).isCloseTo(expected[i], within(Math.abs(expected[i]) * 1e-6 + 1e-12));
        }
        assertThat(code[0]).isCloseTo(-0.99296875f, within(1e-7f));
        assertThat(code[127]).isEqualTo(0f);
        assertThat(code[255]).isEqualTo(1f);
    }

    @Test
    void nearestPicksTheClosestCode() {
        double[] code = bitsandbytesDynamicMap();
        Random random = new Random(5);
        for (int n = 0; n < 5_000; n++) {
            float x = (float) Math.pow(random.nextDouble(), 4) * (random.nextBoolean() ? 1 : -1);
            int index = DynamicMap.nearest(x);
            double best = Double.MAX_VALUE;
            for (double other : code) {
                best = Math.min(best, Math.abs(x - other));
            }
            // float32 codes differ from the double formula in the last bits
            assertThat(Math.abs(x - (double) DynamicMap.value(index))).as("x=%s", x).isLessThanOrEqualTo(best + 1e-7);
        }
    }

    @Test
    void doubleQuantRestoresAbsmaxWithinHalfTheMapsLargestGap() {
        Random random = new Random(17);
        float[] values = new float[64 * 600]; // 600 blocks: two full nested blocks and a partial one
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (0.05 * random.nextGaussian());
        }
        Nf4Weights plain = Nf4Weights.quantize(values, 64, false);
        Nf4Weights nested = Nf4Weights.quantize(values, 64, true);

        assertThat(nested.packed()).containsExactly(plain.packed());
        assertThat(nested.quantizedAbsmax()).hasSize(600);
        assertThat(nested.absmax2()).hasSize(3);
        double mean = 0;
        for (float value : plain.absmax()) {
            mean += value;
        }
        mean /= plain.absmax().length;
        assertThat((double) nested.offset()).isCloseTo(mean, within(1e-6 * mean));
        double[] code = bitsandbytesDynamicMap();
        double largestGap = 0;
        for (int i = 0; i + 1 < code.length; i++) {
            largestGap = Math.max(largestGap, code[i + 1] - code[i]);
        }
        float[] restored = nested.blockScales();
        for (int block = 0; block < 600; block++) {
            double centred = plain.absmax()[block] - (double) nested.offset();
            double nestedAbsmax = 0;
            for (int i = 256 * (block / 256); i < Math.min(600, 256 * (block / 256 + 1)); i++) {
                nestedAbsmax = Math.max(nestedAbsmax, Math.abs(plain.absmax()[i] - (double) nested.offset()));
            }
            assertThat((double) nested.absmax2()[block / 256]).isCloseTo(nestedAbsmax, within(1e-7));
            assertThat(restored[block] - (double) nested.offset())
                    .as("block %d", block).isCloseTo(centred, within(largestGap / 2 * nestedAbsmax + 1e-7));
        }
    }
}
