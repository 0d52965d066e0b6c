package io.finetune4j.peft.glora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.model.Linear;
import java.util.Iterator;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The paper's formula on a 2×2 layer, worked by hand: W0 = [[1, 2], [3, 4]], b0 = [0.5, -1], x = [1, 2]. */
class GloraLinearTest {
    /** y = x · Wᵀ + b with W [out, in]. */
    private record PlainLinear(NDArray weight, NDArray biasArray) implements Linear {
        @Override public String name() { return "layer"; }
        @Override public int inFeatures() { return 2; }
        @Override public int outFeatures() { return 2; }
        @Override public Optional<NDArray> bias() { return Optional.of(biasArray); }

        @Override
        public NDArray forward(NDArray x, boolean training) {
            return x.getNDArrayInternal().linear(x, weight, biasArray).singletonOrThrow();
        }
    }

    private static GloraSupport support(NDManager manager, String type, int rank, long rows, long cols, Shape vector,
                                        float[]... values) {
        GloraSupport support = new GloraSupport(new GloraConfig.Support(type, rank), rows, cols, vector, "s", manager,
                new SplittableRandom(1));
        Iterator<NDArray> parameters = support.parameters().values().iterator();
        for (float[] value : values) {
            parameters.next().set(value);
        }
        return support;
    }

    private static void check(GloraLinear layer, NDManager manager, double[] expectedY, double[] expectedWeight,
                              double[] expectedBias) {
        try (NDManager step = manager.newSubManager()) {
            float[] y = layer.forward(step.create(new float[] {1, 2}, new Shape(1, 2)), false).toFloatArray();
            float[] weight = layer.deltaWeight(step).add(layer.weight()).toFloatArray();
            float[] bias = layer.deltaBias(step).add(layer.bias().orElseThrow()).toFloatArray();
            for (int i = 0; i < expectedY.length; i++) {
                assertThat((double) y[i]).as("y[%d]", i).isCloseTo(expectedY[i], within(1e-5));
                assertThat((double) bias[i]).as("b'[%d]", i).isCloseTo(expectedBias[i], within(1e-5));
            }
            for (int i = 0; i < expectedWeight.length; i++) {
                assertThat((double) weight[i]).as("W'[%d]", i).isCloseTo(expectedWeight[i], within(1e-5));
            }
        }
    }

    /**
     * A = [0.1, 0.2] (vector, per row), B = 0.3 (scalar), C = [1, -1] (vector), D = 2 (scalar), E = [0.25, 0.5]:
     * W' = W0 + W0⊙A + B = [[1.4, 2.5], [3.9, 5.1]]; b' = b0 + 2·b0 + E + W0·C = [0.75, -3.5];
     * y = [1.4 + 5.0 + 0.75, 3.9 + 10.2 - 3.5] = [7.15, 10.6].
     */
    @Test
    void vectorAndScalarSupportsFollowTheFormula() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Linear base = new PlainLinear(manager.create(new float[] {1, 2, 3, 4}, new Shape(2, 2)),
                    manager.create(new float[] {0.5f, -1}));
            GloraLinear layer = new GloraLinear(base,
                    support(manager, "vector", 0, 2, 2, new Shape(2, 1), new float[] {0.1f, 0.2f}),
                    support(manager, "scalar", 0, 2, 2, new Shape(2, 1), new float[] {0.3f}),
                    support(manager, "vector", 0, 2, 1, new Shape(2, 1), new float[] {1, -1}),
                    support(manager, "scalar", 0, 2, 1, new Shape(2), new float[] {2}),
                    support(manager, "vector", 0, 2, 1, new Shape(2), new float[] {0.25f, 0.5f}),
                    () -> true);

            check(layer, manager, new double[] {7.15, 10.6}, new double[] {1.4, 2.5, 3.9, 5.1},
                    new double[] {0.75, -3.5});
        }
    }

    /**
     * A = Ad·Au = [[1], [2]]·[[0.5, -1]] = [[0.5, -1], [1, -2]] (LoRA, rank 1), B none, C = Cd·Cu = [[1], [0]]·[[2]]
     * = [2, 0] (LoRA), D = [1, 0], E none: W' = W0 + W0⊙A = [[1.5, 0], [6, -4]]; b' = b0 + b0⊙D + W0·C
     * = [0.5 + 0.5 + 2, -1 + 0 + 6] = [3, 5]; y = [1.5 + 0 + 3, 6 - 8 + 5] = [4.5, 3].
     */
    @Test
    void loraSupportsFollowTheFormula() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Linear base = new PlainLinear(manager.create(new float[] {1, 2, 3, 4}, new Shape(2, 2)),
                    manager.create(new float[] {0.5f, -1}));
            GloraLinear layer = new GloraLinear(base,
                    support(manager, "lora", 1, 2, 2, new Shape(2, 1), new float[] {1, 2}, new float[] {0.5f, -1}),
                    support(manager, "none", 0, 2, 2, new Shape(2, 1)),
                    support(manager, "lora", 1, 2, 1, new Shape(2, 1), new float[] {1, 0}, new float[] {2}),
                    support(manager, "vector", 0, 2, 1, new Shape(2), new float[] {1, 0}),
                    support(manager, "none", 0, 2, 1, new Shape(2)),
                    () -> true);

            check(layer, manager, new double[] {4.5, 3}, new double[] {1.5, 0, 6, -4}, new double[] {3, 5});
        }
    }
}
