package io.finetune4j.peft.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.runtime.model.DenseLinear;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Int8LinearTest {
    @Test
    void forwardUsesRowWiseAbsmaxInt8Weights() {
        int in = 10;
        int out = 6;
        Random random = new Random(9);
        float[] w = new float[out * in];
        float[] x = new float[in];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) random.nextGaussian();
        }
        for (int i = 0; i < in; i++) {
            x[i] = (float) random.nextGaussian();
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            DenseLinear dense = new DenseLinear("proj", manager.create(w, new Shape(out, in)), null, false);
            Int8Linear layer = Int8Linear.quantize(dense, manager);

            float[] y;
            try (NDManager step = manager.newSubManager()) {
                y = layer.forward(step.create(x, new Shape(1, in)), false).toFloatArray();
            }
            for (int o = 0; o < out; o++) {
                double absmax = 0;
                for (int i = 0; i < in; i++) {
                    absmax = Math.max(absmax, Math.abs(w[o * in + i]));
                }
                double expected = 0;
                for (int i = 0; i < in; i++) {
                    double code = Math.rint(w[o * in + i] * 127 / absmax);
                    double restored = code * absmax / 127;
                    assertThat(Math.abs(restored - w[o * in + i])).isLessThanOrEqualTo(absmax / 254 + 1e-6);
                    expected += x[i] * restored;
                }
                assertThat((double) y[o]).isCloseTo(expected, within(1e-4));
            }
            assertThat(layer.storageBytes()).isEqualTo(out * in + 4L * out);
        }
    }
}
