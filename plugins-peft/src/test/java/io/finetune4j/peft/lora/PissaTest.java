package io.finetune4j.peft.lora;

import static io.finetune4j.peft.lora.TinyModels.logits;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.CausalLM;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * init_lora_weights: pissa. The independent check uses power iteration with deflation (no SVD): the moved part
 * W − residual = s·B·A must be the best rank-r approximation of W, so its singular values are W's top r and the
 * residual's largest singular value is W's (r+1)-th (Eckart–Young).
 */
class PissaTest {
    private static LoraOptions pissa() {
        LoraOptions options = new LoraOptions();
        options.init = "pissa";
        options.alpha = 3; // scaling 1.5, so the sqrt(S / scaling) split is exercised
        return options;
    }

    @Test
    void adaptedModelStartsEqualToTheOriginalWhileTheBaseHoldsTheResidual() {
        for (CausalLM model : List.of(TinyModels.llama(2), TinyModels.gpt2(2))) {
            try (model) {
                float[] original = logits(model);
                Map<String, float[]> before = TinyModels.snapshot(model);

                LoraMethod method = pissa().create(model, 1);

                float[] adapted = logits(model);
                for (int i = 0; i < original.length; i++) {
                    assertThat(adapted[i]).as("logit %d", i).isCloseTo(original[i], within(1e-4f));
                }
                for (LoraLinear layer : method.layers().values()) {
                    assertThat(layer.weight().toFloatArray()).as(layer.name())
                            .isNotEqualTo(before.get(layer.name() + ".weight"));
                }
            }
        }
    }

    @Test
    void movedPartIsTheBestRankRApproximation() {
        for (CausalLM model : List.of(TinyModels.llama(4), TinyModels.gpt2(4))) {
            try (model) {
                Map<String, float[]> before = TinyModels.snapshot(model);
                LoraMethod method = pissa().create(model, 1);
                for (LoraLinear layer : method.layers().values()) {
                    int in = layer.inFeatures();
                    int out = layer.outFeatures();
                    double[][] w = logical(before.get(layer.name() + ".weight"), in, out, layer.transposed());
                    double[][] residual = logical(layer.weight().toFloatArray(), in, out, layer.transposed());
                    double[] sigma = topSingularValues(w, 3);
                    double[][] moved = new double[out][in];
                    for (int o = 0; o < out; o++) {
                        for (int i = 0; i < in; i++) {
                            moved[o][i] = w[o][i] - residual[o][i];
                        }
                    }
                    double[] movedSigma = topSingularValues(moved, 2);
                    double[] residualSigma = topSingularValues(residual, 1);

                    assertThat(movedSigma[0]).as(layer.name()).isCloseTo(sigma[0], within(1e-5));
                    assertThat(movedSigma[1]).as(layer.name()).isCloseTo(sigma[1], within(1e-5));
                    assertThat(residualSigma[0]).as(layer.name()).isCloseTo(sigma[2], within(1e-5));
                    // A = diag(sqrt(S/s)) Vᵀ: its rows are orthogonal with squared norms S/s
                    float[] a = layer.loraA().toFloatArray();
                    double[][] gram = new double[2][2];
                    for (int p = 0; p < 2; p++) {
                        for (int q = 0; q < 2; q++) {
                            for (int i = 0; i < in; i++) {
                                gram[p][q] += (double) a[p * in + i] * a[q * in + i];
                            }
                        }
                    }
                    assertThat(gram[0][0]).isCloseTo(sigma[0] / 1.5, within(1e-5));
                    assertThat(gram[1][1]).isCloseTo(sigma[1] / 1.5, within(1e-5));
                    assertThat(gram[0][1]).isCloseTo(0, within(1e-6));
                }
            }
        }
    }

    @Test
    void rejectsARankAboveTheLayerSize() {
        try (CausalLM model = TinyModels.llama(1)) {
            LoraOptions options = pissa();
            options.r = 5; // v_proj is 8 -> 4
            options.targets = List.of("v_proj");
            assertThatThrownBy(() -> options.create(model, 1)).isInstanceOf(ConfigException.class)
                    .hasMessage("init_lora_weights: pissa needs r <= min(in, out); module"
                            + " 'model.layers.0.self_attn.v_proj' is 8 -> 4 but r is 5");
        }
    }

    private static double[][] logical(float[] stored, int in, int out, boolean transposed) {
        double[][] w = new double[out][in];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                w[o][i] = transposed ? stored[i * out + o] : stored[o * in + i];
            }
        }
        return w;
    }

    /** The largest {@code count} singular values by power iteration on WᵀW, deflating each found direction. */
    static double[] topSingularValues(double[][] w, int count) {
        int in = w[0].length;
        double[][] gram = new double[in][in];
        for (double[] row : w) {
            for (int i = 0; i < in; i++) {
                for (int j = 0; j < in; j++) {
                    gram[i][j] += row[i] * row[j];
                }
            }
        }
        double[] values = new double[count];
        Random random = new Random(17);
        for (int k = 0; k < count; k++) {
            double[] v = new double[in];
            for (int i = 0; i < in; i++) {
                v[i] = random.nextGaussian();
            }
            double lambda = 0;
            for (int iteration = 0; iteration < 20000; iteration++) {
                double[] next = new double[in];
                for (int i = 0; i < in; i++) {
                    for (int j = 0; j < in; j++) {
                        next[i] += gram[i][j] * v[j];
                    }
                }
                double norm = 0;
                for (double x : next) {
                    norm += x * x;
                }
                norm = Math.sqrt(norm);
                lambda = norm;
                for (int i = 0; i < in; i++) {
                    v[i] = next[i] / norm;
                }
            }
            values[k] = Math.sqrt(lambda);
            for (int i = 0; i < in; i++) {
                for (int j = 0; j < in; j++) {
                    gram[i][j] -= lambda * v[i] * v[j];
                }
            }
        }
        return values;
    }
}
