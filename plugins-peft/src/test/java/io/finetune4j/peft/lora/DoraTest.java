package io.finetune4j.peft.lora;

import static io.finetune4j.peft.lora.TinyModels.logits;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.finetune4j.api.model.AdapterScope;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.Linear;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** DoRA (use_dora) checked against plain double-precision loops over the same tiny weights. */
class DoraTest {
    private static LoraMethod dora(CausalLM model) {
        LoraOptions options = new LoraOptions();
        options.dora = true;
        return options.create(model, 5);
    }

    /** Logical W as [out][in] in double, whatever the stored layout. */
    private static double[][] logicalWeight(Linear layer) {
        int in = layer.inFeatures();
        int out = layer.outFeatures();
        float[] w = layer.weight().toFloatArray();
        double[][] logical = new double[out][in];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                logical[o][i] = layer.transposed() ? w[i * out + o] : w[o * in + i];
            }
        }
        return logical;
    }

    /** s·B·A as [out][in]. */
    private static double[][] delta(LoraLinear layer) {
        int in = layer.inFeatures();
        int out = layer.outFeatures();
        int r = layer.rank();
        float[] a = layer.loraA().toFloatArray();
        float[] b = layer.loraB().toFloatArray();
        double[][] delta = new double[out][in];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                for (int k = 0; k < r; k++) {
                    delta[o][i] += layer.scaling() * b[o * r + k] * a[k * in + i];
                }
            }
        }
        return delta;
    }

    private static double[] norms(double[][] w, double[][] delta) {
        double[] norms = new double[w.length];
        for (int o = 0; o < w.length; o++) {
            double sum = 0;
            for (int i = 0; i < w[o].length; i++) {
                sum += (w[o][i] + delta[o][i]) * (w[o][i] + delta[o][i]);
            }
            norms[o] = Math.sqrt(sum);
        }
        return norms;
    }

    private static float[] gaussian(int size, long seed) {
        Random random = new Random(seed);
        float[] values = new float[size];
        for (int i = 0; i < size; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }

    @Test
    void magnitudeStartsAtTheRowNormsOfTheBaseWeight() {
        for (CausalLM model : List.of(TinyModels.llama(1), TinyModels.gpt2(1))) {
            try (model) {
                LoraMethod method = dora(model);
                for (LoraLinear layer : method.layers().values()) {
                    double[][] w = logicalWeight(layer);
                    double[] expected = norms(w, new double[w.length][w[0].length]);
                    float[] magnitude = layer.magnitude().orElseThrow().toFloatArray();
                    assertThat(magnitude).hasSize(layer.outFeatures());
                    for (int o = 0; o < magnitude.length; o++) {
                        assertThat((double) magnitude[o]).as("%s[%d]", layer.name(), o).isCloseTo(expected[o], within(1e-6));
                    }
                    assertThat(method.trainableParameters())
                            .containsKey("base_model.model." + layer.name() + ".lora_magnitude_vector");
                }
            }
        }
    }

    @Test
    void adaptedLogitsEqualBaseLogitsAtInit() {
        for (CausalLM model : List.of(TinyModels.llama(3), TinyModels.gpt2(3))) {
            try (model) {
                float[] base = logits(model);
                dora(model);
                float[] adapted = logits(model);
                for (int i = 0; i < base.length; i++) {
                    assertThat(adapted[i]).isCloseTo(base[i], within(1e-5f));
                }
            }
        }
    }

    @Test
    void layerMatchesDoubleLoopForLinearAndConv1d() {
        for (CausalLM model : List.of(TinyModels.llama(5), TinyModels.gpt2(5))) {
            try (model) {
                LoraMethod method = dora(model);
                LoraOptions.randomize(method, 9);
                LoraLinear layer = method.layers().values().iterator().next();
                int in = layer.inFeatures();
                int out = layer.outFeatures();
                float[] x = gaussian(3 * in, 2);
                float[] actual;
                try (NDManager step = model.manager().newSubManager()) {
                    actual = layer.forward(step.create(x, new Shape(3, in)), false).toFloatArray();
                }
                double[][] w = logicalWeight(layer);
                double[][] delta = delta(layer);
                double[] norms = norms(w, delta);
                float[] m = layer.magnitude().orElseThrow().toFloatArray();
                float[] bias = layer.bias().map(NDArray::toFloatArray).orElse(new float[out]);
                for (int row = 0; row < 3; row++) {
                    for (int o = 0; o < out; o++) {
                        // y = bias + m/‖W + sBA‖ · (W + sBA) x: the bias is not scaled
                        double y = 0;
                        for (int i = 0; i < in; i++) {
                            y += (w[o][i] + delta[o][i]) * x[row * in + i];
                        }
                        double expected = bias[o] + m[o] / norms[o] * y;
                        assertThat((double) actual[row * out + o]).as("%s [%d, %d]", layer.name(), row, o)
                                .isCloseTo(expected, within(1e-5));
                    }
                }
            }
        }
    }

    @Test
    void mergedLogitsEqualAdaptedLogits() {
        for (CausalLM model : List.of(TinyModels.llama(6), TinyModels.gpt2(6))) {
            try (model) {
                LoraMethod method = dora(model);
                LoraOptions.randomize(method, 4);
                float[] adapted = logits(model);
                LoraLinear first = method.layers().values().iterator().next();
                double[][] w = logicalWeight(first);
                double[][] delta = delta(first);
                double[] norms = norms(w, delta);
                float[] m = first.magnitude().orElseThrow().toFloatArray();

                method.mergeAndUnload();

                assertThat(model.linears().values()).noneMatch(LoraLinear.class::isInstance);
                double[][] merged = logicalWeight(model.linears().get(first.name()));
                for (int o = 0; o < merged.length; o++) {
                    for (int i = 0; i < merged[o].length; i++) {
                        double expected = m[o] / norms[o] * (w[o][i] + delta[o][i]);
                        assertThat(merged[o][i]).isCloseTo(expected, within(1e-6));
                    }
                }
                float[] after = logits(model);
                for (int i = 0; i < adapted.length; i++) {
                    assertThat(after[i]).as("logit %d", i).isCloseTo(adapted[i], within(1e-4f));
                }
            }
        }
    }

    @Test
    void disablingAdaptersGivesTheBaseModelExactly() {
        try (CausalLM model = TinyModels.llama(4)) {
            float[] base = logits(model);
            LoraOptions.randomize(dora(model), 1);
            try (AdapterScope ignored = model.disableAdapters()) {
                assertThat(logits(model)).containsExactly(base);
            }
        }
    }

    /**
     * With the norm n treated as a constant (DoRA section 4.3), for L = Σ g ⊙ y and y = b + (m/n)·(W + sBA)x:
     * dL/dm_o = Σ_rows g_o ((W + sBA)x)_o / n_o, dL/dB_ok = Σ_rows g_o (m_o/n_o) s (Ax)_k,
     * dL/dA_ki = Σ_rows Σ_o g_o (m_o/n_o) s B_ok x_i. A gradient through n would add terms to B's and A's.
     */
    @Test
    void gradientTreatsTheNormAsAConstant() {
        for (CausalLM model : List.of(TinyModels.llama(7), TinyModels.gpt2(7))) {
            try (model) {
                LoraMethod method = dora(model);
                LoraOptions.randomize(method, 3);
                LoraLinear layer = method.layers().values().iterator().next();
                int in = layer.inFeatures();
                int out = layer.outFeatures();
                int r = layer.rank();
                int rows = 3;
                float[] x = gaussian(rows * in, 8);
                float[] g = gaussian(rows * out, 9);
                NDArray a = layer.loraA();
                NDArray b = layer.loraB();
                NDArray m = layer.magnitude().orElseThrow();
                float[] gradA;
                float[] gradB;
                float[] gradM;
                try (NDManager step = model.manager().newSubManager()) {
                    NDArray input = step.create(x, new Shape(rows, in));
                    NDArray weights = step.create(g, new Shape(rows, out));
                    for (NDArray parameter : List.of(a, b, m)) {
                        parameter.getGradient().subi(parameter.getGradient());
                    }
                    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                        NDArray y = layer.forward(input, true);
                        NDArray loss = y.mul(weights).sum();
                        System.gc();
                        collector.backward(loss);
                    }
                    gradA = a.getGradient().toFloatArray();
                    gradB = b.getGradient().toFloatArray();
                    gradM = m.getGradient().toFloatArray();
                }
                double[][] w = logicalWeight(layer);
                double[][] delta = delta(layer);
                double[] norms = norms(w, delta);
                float[] av = a.toFloatArray();
                float[] bv = b.toFloatArray();
                float[] mv = m.toFloatArray();
                double s = layer.scaling();
                double[] expectedM = new double[out];
                double[] expectedB = new double[out * r];
                double[] expectedA = new double[r * in];
                for (int row = 0; row < rows; row++) {
                    double[] ax = new double[r];
                    for (int k = 0; k < r; k++) {
                        for (int i = 0; i < in; i++) {
                            ax[k] += av[k * in + i] * x[row * in + i];
                        }
                    }
                    for (int o = 0; o < out; o++) {
                        double go = g[row * out + o];
                        double full = 0;
                        for (int i = 0; i < in; i++) {
                            full += (w[o][i] + delta[o][i]) * x[row * in + i];
                        }
                        expectedM[o] += go * full / norms[o];
                        double factor = mv[o] / norms[o];
                        for (int k = 0; k < r; k++) {
                            expectedB[o * r + k] += go * factor * s * ax[k];
                            for (int i = 0; i < in; i++) {
                                expectedA[k * in + i] += go * factor * s * bv[o * r + k] * x[row * in + i];
                            }
                        }
                    }
                }
                assertClose(gradM, expectedM, "dL/dm");
                assertClose(gradB, expectedB, "dL/dB");
                assertClose(gradA, expectedA, "dL/dA");
            }
        }
    }

    /**
     * Training with dropout takes PEFT's other branch: x·Wᵀ is recomputed from dropout(x), without the bias. With
     * B = 0 and m = 2n (so m/n − 1 = 1) and an input with one non-zero feature j, dropout keeps that feature
     * (scaled by 1/(1−p)) or drops it, so each row is base(x) + W[:, j]·c/(1−p) or exactly base(x).
     */
    @Test
    void dropoutBranchRecomputesTheUnbiasedBaseOutputFromTheDroppedInput() {
        for (CausalLM model : List.of(TinyModels.llama(9), TinyModels.gpt2(9))) {
            try (model) {
                LoraOptions options = new LoraOptions();
                options.dora = true;
                options.dropout = 0.5;
                LoraLinear layer = options.create(model, 5).layers().values().iterator().next();
                NDArray m = layer.magnitude().orElseThrow();
                float[] doubled = m.toFloatArray();
                for (int o = 0; o < doubled.length; o++) {
                    doubled[o] *= 2;
                }
                m.set(doubled);
                int in = layer.inFeatures();
                int out = layer.outFeatures();
                int rows = 64;
                int j = 3;
                float c = 1.5f;
                float[] x = new float[rows * in];
                for (int row = 0; row < rows; row++) {
                    x[row * in + j] = c;
                }
                float[] base;
                float[] actual;
                try (NDManager step = model.manager().newSubManager()) {
                    NDArray input = step.create(x, new Shape(rows, in));
                    base = layer.base().forward(input, false).toFloatArray();
                    actual = layer.forward(input, true).toFloatArray();
                }
                double[][] w = logicalWeight(layer);
                int kept = 0;
                for (int row = 0; row < rows; row++) {
                    boolean dropped = true;
                    boolean keptRow = true;
                    for (int o = 0; o < out; o++) {
                        double y = actual[row * out + o];
                        dropped &= Math.abs(y - base[row * out + o]) < 1e-5;
                        keptRow &= Math.abs(y - (base[row * out + o] + w[o][j] * c / 0.5)) < 1e-5;
                    }
                    assertThat(dropped || keptRow).as("row %d of %s", row, layer.name()).isTrue();
                    kept += keptRow && !dropped ? 1 : 0;
                }
                assertThat(kept).isBetween(8, rows - 8); // both outcomes occur
            }
        }
    }

    private static void assertClose(float[] actual, double[] expected, String what) {
        assertThat(actual).hasSize(expected.length);
        for (int i = 0; i < expected.length; i++) {
            assertThat((double) actual[i]).as("%s[%d]", what, i).isCloseTo(expected[i], within(1e-4 * (1 + Math.abs(expected[i]))));
        }
    }
}
