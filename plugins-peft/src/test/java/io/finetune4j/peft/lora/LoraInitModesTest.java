package io.finetune4j.peft.lora;

import static io.finetune4j.peft.lora.TinyModels.logits;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.peft.quant.Nf4Weights;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * init_lora_weights olora, orthogonal and loftq against PEFT v0.20 (peft/tuners/lora/layer.py olora_init,
 * orthogonal_init, loftq_init; peft/utils/loftq_utils.py loftq_init). Expected values are derived by hand from
 * those formulas, not read from our output.
 */
class LoraInitModesTest {
    private static LoraOptions options(Object init, double alpha) {
        LoraOptions options = new LoraOptions();
        options.init = init;
        options.alpha = alpha;
        return options;
    }

    @Test
    void qrHasLapackSignsOnAHandComputedMatrix() {
        // W = [[3, 1], [4, 2]]: Householder on (3, 4) gives beta = -5, v = (1, 0.5), tau = 1.6, so
        // H = [[-0.6, -0.8], [-0.8, 0.6]], R = H W = [[-5, -2.2], [0, 0.4]], Q = H (torch.linalg.qr gives the same).
        Qr.Result qr = Qr.decompose(new double[] {3, 1, 4, 2}, 2, 2);

        assertThat(qr.q()[0]).containsExactly(new double[] {-0.6, -0.8}, within(1e-12));
        assertThat(qr.q()[1]).containsExactly(new double[] {-0.8, 0.6}, within(1e-12));
        assertThat(qr.r()[0]).containsExactly(new double[] {-5, -2.2}, within(1e-12));
        assertThat(qr.r()[1]).containsExactly(new double[] {0, 0.4}, within(1e-12));
    }

    @Test
    void oloraTakesTheLeadingQrFactorsAndTheModelStartsUnchanged() {
        for (CausalLM model : List.of(TinyModels.llama(2), TinyModels.gpt2(2))) {
            try (model) {
                float[] original = logits(model);
                Map<String, float[]> before = TinyModels.snapshot(model);

                LoraMethod method = options("olora", 3).create(model, 1); // scaling 1.5

                float[] adapted = logits(model);
                for (int i = 0; i < original.length; i++) {
                    assertThat(adapted[i]).as("logit %d", i).isCloseTo(original[i], within(1e-4f));
                }
                for (LoraLinear layer : method.layers().values()) {
                    int in = layer.inFeatures();
                    int out = layer.outFeatures();
                    float[] a = layer.loraA().toFloatArray();
                    float[] b = layer.loraB().toFloatArray();
                    // B = Q[:, :r]: orthonormal columns
                    for (int p = 0; p < 2; p++) {
                        for (int q = 0; q < 2; q++) {
                            double dot = 0;
                            for (int o = 0; o < out; o++) {
                                dot += (double) b[o * 2 + p] * b[o * 2 + q];
                            }
                            assertThat(dot).as(layer.name()).isCloseTo(p == q ? 1 : 0, within(1e-5));
                        }
                    }
                    // A = R[:r]: upper triangular, and B·A is the projection of W onto span(B): A = Bᵀ W
                    assertThat(a[in]).as(layer.name()).isEqualTo(0f);
                    float[] stored = before.get(layer.name() + ".weight");
                    for (int k = 0; k < 2; k++) {
                        for (int i = 0; i < in; i++) {
                            double projection = 0;
                            for (int o = 0; o < out; o++) {
                                double w = stored[layer.transposed() ? i * out + o : o * in + i];
                                projection += b[o * 2 + k] * w;
                            }
                            assertThat((double) a[k * in + i]).isCloseTo(projection, within(1e-4));
                        }
                    }
                    // PEFT's sign convention: R's diagonal is -sign(W[0][0]) * norm of W's first column
                    double w00 = stored[0];
                    assertThat((double) Math.signum(a[0])).as(layer.name()).isEqualTo(-Math.signum(w00));
                }
            }
        }
    }

    @Test
    void orthogonalFactorsMultiplyToZeroAndLeaveTheBase() {
        for (CausalLM model : List.of(TinyModels.llama(2), TinyModels.gpt2(2))) {
            try (model) {
                float[] original = logits(model);
                Map<String, float[]> before = TinyModels.snapshot(model);
                LoraOptions options = options("orthogonal", 8);
                options.r = 4;

                LoraMethod method = options.create(model, 3);

                float[] adapted = logits(model);
                for (int i = 0; i < original.length; i++) {
                    assertThat(adapted[i]).as("logit %d", i).isCloseTo(original[i], within(1e-5f));
                }
                for (LoraLinear layer : method.layers().values()) {
                    assertThat(layer.weight().toFloatArray()).isEqualTo(before.get(layer.name() + ".weight"));
                    int in = layer.inFeatures();
                    int out = layer.outFeatures();
                    float[] a = layer.loraA().toFloatArray();
                    float[] b = layer.loraB().toFloatArray();
                    double maxProduct = 0;
                    double normA = 0;
                    double normB = 0;
                    for (int o = 0; o < out; o++) {
                        for (int i = 0; i < in; i++) {
                            double sum = 0;
                            for (int k = 0; k < 4; k++) {
                                sum += (double) b[o * 4 + k] * a[k * in + i];
                            }
                            maxProduct = Math.max(maxProduct, Math.abs(sum));
                        }
                    }
                    for (float v : a) {
                        normA += v * v;
                    }
                    for (float v : b) {
                        normB += v * v;
                    }
                    assertThat(maxProduct).as(layer.name()).isLessThan(1e-6);
                    // entries are N(0, 1)/10 mixed by orthonormal rows: mean square (1/2)/100 = 0.005 (r/2 of r rows)
                    assertThat(normA / a.length).as(layer.name()).isBetween(0.001, 0.02);
                    assertThat(normB / b.length).as(layer.name()).isBetween(0.001, 0.02);
                }
            }
        }
    }

    @Test
    void orthogonalRejectsAnOddRank() {
        LoraOptions options = options("orthogonal", 8);
        options.r = 3;
        ConfigProblems problems = ConfigProblems.at("m");

        new LoraMethodProvider().validate(options.build(), problems);

        assertThat(problems.messages()).containsExactly("m.r: must be even with init_lora_weights: orthogonal, was 3");
    }

    @Test
    void loftqNeedsItsConfigAndChecksBits() {
        ConfigProblems missing = ConfigProblems.at("m");
        new LoraMethodProvider().validate(options("loftq", 2).build(), missing);
        assertThat(missing.messages()).containsExactly(
                "m.loftq_config: must be given with init_lora_weights: loftq, e.g. {loftq_bits: 4, loftq_iter: 1}");

        LoraConfig bad = withLoftq(options("loftq", 2).build(), Map.of("loftq_bits", 3, "loftq_iter", 0));
        ConfigProblems problems = ConfigProblems.at("m");
        new LoraMethodProvider().validate(bad, problems);
        assertThat(problems.messages()).containsExactlyInAnyOrder("m.loftq_config.loftq_bits: must be 4 or 8, was 3",
                "m.loftq_config.loftq_iter: must be >= 1, was 0");
    }

    /**
     * A hand case for one round with 8 bits (row-wise absmax, round half to even): W = [[1, 0.5], [-0.25, 2]].
     * Row 0: 0.5·127 = 63.5 -> 64, so Q[0][1] = 64/127; row 1 (absmax 2): -0.25·63.5 = -15.875 -> -16, so
     * Q[1][0] = -32/127. The error W - Q = [[0, -0.5/127], [0.25/127, 0]] is anti-diagonal with singular values
     * 0.5/127 and 0.25/127; rank 1 keeps the larger, so B·A = [[0, -0.5/127], [0, 0]] and the residual
     * ‖W - (Q + B·A)‖ = 0.25/127 < ‖W - Q‖ = sqrt(0.3125)/127.
     */
    @Test
    void loftqEightBitRoundMatchesAHandComputation() {
        float[] w = {1f, 0.5f, -0.25f, 2f};

        Loftq.Result result = Loftq.run(w, 2, 2, 1, 1, Loftq.peft(8));

        assertThat(result.quantized()).containsExactly(new float[] {1f, 64f / 127, -32f / 127, 2f}, within(1e-6f));
        assertThat(product(result.b(), result.a(), 2, 2, 1))
                .containsExactly(new double[] {0, -0.5 / 127, 0, 0}, within(1e-7));
        assertThat(distance(w, result.quantized(), product(result.b(), result.a(), 2, 2, 1)))
                .isCloseTo(0.25 / 127, within(1e-7));
    }

    @Test
    void loftqResidualIsBelowThePlainQuantisationErrorAndFallsWithIterations() {
        try (CausalLM model = TinyModels.llama(5)) {
            LoraLinear probe = options(true, 2).create(model, 1).layers().values().iterator().next();
            float[] w = Loftq.logical(probe.base(), 2);
            int out = probe.outFeatures();
            int in = probe.inFeatures();
            double plain = distance(w, Nf4Weights.quantize(w, 64, false).dequantize(), null);

            double previous = plain;
            for (int iterations = 1; iterations <= 3; iterations++) {
                Loftq.Result result = Loftq.run(w, out, in, 2, iterations, Loftq.peft(4));
                double residual = distance(w, result.quantized(), product(result.b(), result.a(), out, in, 2));
                assertThat(residual).as("%d iterations", iterations).isLessThan(previous);
                previous = residual;
            }
        }
    }

    @Test
    void loftqInitialisesTheLoraMethodWithADequantisedBase() {
        try (CausalLM model = TinyModels.llama(2)) {
            Map<String, float[]> before = TinyModels.snapshot(model);
            LoraConfig config = withLoftq(options("loftq", 2).build(), Map.of("loftq_bits", 4, "loftq_iter", 2));

            LoraMethod method = (LoraMethod) new LoraMethodProvider().create(config, new TinyModels.Context(model, 1));

            LoraLinear layer = method.layers().values().iterator().next();
            float[] w = before.get(layer.name() + ".weight");
            Loftq.Result expected = Loftq.run(w, layer.outFeatures(), layer.inFeatures(), 2, 2, Loftq.peft(4));
            assertThat(layer.weight().toFloatArray()).isEqualTo(expected.quantized());
            assertThat(layer.loraA().toFloatArray()).isEqualTo(expected.a());
            // the base is on the NF4 grid: quantising it again changes nothing
            assertThat(Nf4Weights.quantize(expected.quantized(), 64, false).dequantize())
                    .containsExactly(expected.quantized(), within(1e-6f));
        }
    }

    static LoraConfig withLoftq(LoraConfig c, Map<String, Integer> loftq) {
        return new LoraConfig(c.r(), c.loraAlpha(), c.loraDropout(), c.targetModules(), c.excludeModules(), c.bias(),
                c.useRslora(), c.initLoraWeights(), c.rankPattern(), c.alphaPattern(), c.layersToTransform(),
                c.layersPattern(), c.modulesToSave(), c.useDora(), loftq, c.loraplusLrRatio(), c.loraplusLrEmbedding(),
                c.loraplusWeightDecay());
    }

    /** {@code B·A} as logical {@code [out, in]} doubles. */
    static double[] product(float[] b, float[] a, int out, int in, int r) {
        double[] product = new double[out * in];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                for (int k = 0; k < r; k++) {
                    product[o * in + i] += (double) b[o * r + k] * a[k * in + i];
                }
            }
        }
        return product;
    }

    /** Frobenius norm of {@code w - (q + update)}. */
    private static double distance(float[] w, float[] q, double[] update) {
        double sum = 0;
        for (int i = 0; i < w.length; i++) {
            double d = w[i] - q[i] - (update == null ? 0 : update[i]);
            sum += d * d;
        }
        return Math.sqrt(sum);
    }

    @Test
    void unknownInitModeNamesTheChoices() {
        ConfigProblems problems = ConfigProblems.at("m");
        new LoraMethodProvider().validate(options("olora2", 2).build(), problems);
        assertThat(problems.messages()).containsExactly("m.init_lora_weights: must be true, false, 'gaussian', "
                + "'pissa', 'pissa_niter_<n>', 'olora', 'orthogonal' or 'loftq', was 'olora2'");
        assertThatThrownBy(() -> Loftq.peft(3)).isInstanceOf(ConfigException.class)
                .hasMessage("loftq_config.loftq_bits: must be 4 or 8, was 3");
    }
}
