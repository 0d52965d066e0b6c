package io.finetune4j.runtime.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AdamWTest {
    private static final double LR = 0.05;
    private static final double BETA1 = 0.9;
    private static final double BETA2 = 0.99;
    private static final double EPS = 1e-6;
    private static final double WEIGHT_DECAY = 0.1;

    /** The loss whose gradient is {@code c + p}: {@code Σ c∘p + ½Σ p²}, c varying with the step. */
    private static double[] coefficients(int step, int parameter, int size) {
        double[] c = new double[size];
        for (int i = 0; i < size; i++) {
            c[i] = Math.sin(1.7 * step + 0.3 * i + parameter) * (parameter + 1);
        }
        return c;
    }

    /** torch.optim.AdamW's step for one parameter, in double precision. */
    private static void referenceStep(double[] p, double[] g, double[] m, double[] v, int t, double lr,
                                      double weightDecay) {
        double correction1 = 1 - Math.pow(BETA1, t);
        double correction2 = 1 - Math.pow(BETA2, t);
        for (int i = 0; i < p.length; i++) {
            p[i] *= 1 - lr * weightDecay;
            m[i] = BETA1 * m[i] + (1 - BETA1) * g[i];
            v[i] = BETA2 * v[i] + (1 - BETA2) * g[i] * g[i];
            p[i] -= lr / correction1 * m[i] / (Math.sqrt(v[i]) / Math.sqrt(correction2) + EPS);
        }
    }

    @Test
    void matchesTorchAdamWInDoublePrecisionOverSeveralSteps() {
        double[][] reference = {{0.5, -1.0, 0.25, 2.0, -0.75, 0.1}, {0.3, -0.2, 1.1, 0.0}};
        double[][] m = {new double[6], new double[4]};
        double[][] v = {new double[6], new double[4]};
        boolean[] decayed = {true, false};
        double[] scales = {1.0, 1.0, 0.5, 1.0, 0.25, 1.0, 1.0};
        try (NDManager weights = NDManager.newBaseManager(); NDManager state = NDManager.newBaseManager()) {
            List<NDArray> parameters = List.of(
                    weights.create(RegressionMethod.toFloats(reference[0]), new Shape(2, 3)),
                    weights.create(RegressionMethod.toFloats(reference[1])));
            parameters.forEach(p -> p.setRequiresGradient(true));
            AdamW optimizer = new AdamW(parameters, decayed, BETA1, BETA2, EPS, WEIGHT_DECAY, state);
            assertThat(state.getManagedArrays()).hasSize(4);

            for (int t = 1; t <= scales.length; t++) {
                double lr = LR * (1 + 0.1 * t);
                try (NDManager step = NDManager.newBaseManager()) {
                    List<NDArray> gradients = backward(parameters, t, step);
                    for (int k = 0; k < 2; k++) {
                        double[] g = coefficients(t, k, reference[k].length);
                        for (int i = 0; i < g.length; i++) {
                            g[i] = (g[i] + reference[k][i]) * scales[t - 1];
                        }
                        referenceStep(reference[k], g, m[k], v[k], t, lr, decayed[k] ? WEIGHT_DECAY : 0);
                    }
                    optimizer.step(gradients, lr, scales[t - 1]);

                    for (int k = 0; k < 2; k++) {
                        assertThat(RegressionMethod.toDoubles(parameters.get(k).toFloatArray()))
                                .as("parameter %d after step %d", k, t)
                                .containsExactly(reference[k], within(1e-5));
                        assertThat(gradients.get(k).toFloatArray()).as("gradient zeroed by the update")
                                .containsOnly(0f);
                    }
                }
            }
            assertThat(optimizer.stepCount()).isEqualTo(scales.length);
            assertThat(state.getManagedArrays()).hasSize(4);
        }
    }

    private static List<NDArray> backward(List<NDArray> parameters, int t, NDManager step) {
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray loss = step.create(0f);
            for (int k = 0; k < parameters.size(); k++) {
                NDArray p = parameters.get(k);
                NDArray c = step.create(RegressionMethod.toFloats(coefficients(t, k, (int) p.size())), p.getShape());
                loss = loss.add(c.mul(p).sum()).add(step.create(0.5f).mul(p).mul(p).sum());
            }
            collector.backward(loss);
        }
        List<NDArray> gradients = new ArrayList<>();
        for (NDArray p : parameters) {
            NDArray gradient = p.getGradient();
            gradient.attach(step);
            gradients.add(gradient);
        }
        return gradients;
    }

    @Test
    void decaysWeightsButNotBiasesOrNorms() {
        assertThat(AdamW.appliesWeightDecay("model.layers.0.self_attn.q_proj.weight")).isTrue();
        assertThat(AdamW.appliesWeightDecay(
                "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight")).isTrue();
        assertThat(AdamW.appliesWeightDecay("transformer.h.0.attn.c_attn.weight")).isTrue();
        assertThat(AdamW.appliesWeightDecay("model.embed_tokens.weight")).isTrue();
        assertThat(AdamW.appliesWeightDecay("model.layers.0.self_attn.q_proj.bias")).isFalse();
        assertThat(AdamW.appliesWeightDecay("model.layers.0.input_layernorm.weight")).isFalse();
        assertThat(AdamW.appliesWeightDecay("model.layers.0.post_attention_layernorm.weight")).isFalse();
        assertThat(AdamW.appliesWeightDecay("model.norm.weight")).isFalse();
        assertThat(AdamW.appliesWeightDecay("model.layers.0.self_attn.q_norm.weight")).isFalse();
        assertThat(AdamW.appliesWeightDecay("transformer.h.3.ln_1.weight")).isFalse();
        assertThat(AdamW.appliesWeightDecay("transformer.ln_f.bias")).isFalse();
    }
}
