package io.finetune4j.peft.adalora;

import static io.finetune4j.peft.adalora.AdaLoraFixtures.adalora;
import static io.finetune4j.peft.adalora.AdaLoraFixtures.logits;
import static io.finetune4j.peft.adalora.AdaLoraFixtures.randomize;
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
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AdaLoraMethodTest {
    private static final AdaLoraConfig CONFIG = AdaLoraConfig.of(3, 2, 10, List.of("q_proj", "v_proj", "c_attn"));

    @Test
    void startsAsTheIdentityBecauseEIsZero() {
        try (CausalLM model = AdaLoraFixtures.llama(2)) {
            float[] base = logits(model);
            AdaLoraMethod method = adalora(model, CONFIG);

            assertThat(logits(model)).containsExactly(base);
            method.layers().values().forEach(layer -> assertThat(layer.loraE().toFloatArray()).containsOnly(0f));
        }
    }

    @Test
    void trainableParameterCountIsPeftsFormula() {
        // PEFT: init_r · (in + out + 1) per adapted module (A, B and E; ranknum is not trainable).
        // Tiny Llama: hidden 8, 2 heads of 4, 1 kv head: q_proj 8 → 8, v_proj 8 → 4, in 2 layers.
        try (CausalLM model = AdaLoraFixtures.llama(2)) {
            AdaLoraMethod method = adalora(model, AdaLoraConfig.of(12, 8, 10, List.of("q_proj", "v_proj")));

            assertThat(method.trainableParameterCount()).isEqualTo(2 * (12 * (8 + 8 + 1) + 12 * (8 + 4 + 1)));
            assertThat(method.trainableParameters().keySet()).containsExactly(
                    "base_model.model.model.layers.0.self_attn.q_proj.lora_A",
                    "base_model.model.model.layers.0.self_attn.q_proj.lora_B",
                    "base_model.model.model.layers.0.self_attn.q_proj.lora_E",
                    "base_model.model.model.layers.0.self_attn.v_proj.lora_A",
                    "base_model.model.model.layers.0.self_attn.v_proj.lora_B",
                    "base_model.model.model.layers.0.self_attn.v_proj.lora_E",
                    "base_model.model.model.layers.1.self_attn.q_proj.lora_A",
                    "base_model.model.model.layers.1.self_attn.q_proj.lora_B",
                    "base_model.model.model.layers.1.self_attn.q_proj.lora_E",
                    "base_model.model.model.layers.1.self_attn.v_proj.lora_A",
                    "base_model.model.model.layers.1.self_attn.v_proj.lora_B",
                    "base_model.model.model.layers.1.self_attn.v_proj.lora_E");
        }
    }

    @Test
    void forwardEqualsTheSvdFormAsADoubleLoop() {
        for (boolean gpt2 : new boolean[] {false, true}) {
            try (CausalLM model = gpt2 ? AdaLoraFixtures.gpt2(3) : AdaLoraFixtures.llama(3)) {
                AdaLoraMethod method = adalora(model, CONFIG);
                randomize(method, 4, 0.5);
                SvdLinear layer = method.layers().values().iterator().next();
                int in = layer.inFeatures();
                int out = layer.outFeatures();
                int r = layer.rank();
                float[] x = new float[2 * 3 * in];
                Random random = new Random(5);
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) random.nextGaussian();
                }
                float[] actual;
                try (NDManager step = model.manager().newSubManager()) {
                    actual = layer.forward(step.create(x, new Shape(2, 3, in)), false).toFloatArray();
                }
                float[] w = layer.weight().toFloatArray();
                float[] bias = layer.bias().map(NDArray::toFloatArray).orElse(new float[out]);
                float[] a = layer.loraA().toFloatArray();
                float[] e = layer.loraE().toFloatArray();
                float[] b = layer.loraB().toFloatArray();
                // y = W x + b + B · diag(E) · A x · lora_alpha / (ranknum + 1e-5), lora_alpha 8, ranknum = init_r 3
                double factor = 8.0 / (3 + 1e-5);
                for (int row = 0; row < 6; row++) {
                    for (int o = 0; o < out; o++) {
                        double y = bias[o];
                        for (int i = 0; i < in; i++) {
                            y += (layer.transposed() ? w[i * out + o] : w[o * in + i]) * (double) x[row * in + i];
                        }
                        double delta = 0;
                        for (int k = 0; k < r; k++) {
                            double ax = 0;
                            for (int i = 0; i < in; i++) {
                                ax += (double) a[k * in + i] * x[row * in + i];
                            }
                            delta += (double) b[o * r + k] * e[k] * ax;
                        }
                        assertThat((double) actual[row * out + o]).as("gpt2=%s y[%d][%d]", gpt2, row, o)
                                .isCloseTo(y + factor * delta, within(1e-4));
                    }
                }
                try (AdapterScope ignored = model.disableAdapters()) {
                    float[] adapted = logits(model);
                    try (CausalLM fresh = gpt2 ? AdaLoraFixtures.gpt2(3) : AdaLoraFixtures.llama(3)) {
                        assertThat(adapted).containsExactly(logits(fresh));
                    }
                }
            }
        }
    }

    @Test
    void orthogonalityPenaltyEqualsADoubleLoop() {
        try (CausalLM model = AdaLoraFixtures.llama(6)) {
            AdaLoraMethod method = adalora(model, CONFIG);
            randomize(method, 7, 0.4);
            double sum = 0;
            int count = 0;
            for (SvdLinear layer : method.layers().values()) {
                int r = layer.rank();
                int in = layer.inFeatures();
                int out = layer.outFeatures();
                float[] a = layer.loraA().toFloatArray();
                float[] b = layer.loraB().toFloatArray();
                double normA = 0;
                double normB = 0;
                for (int p = 0; p < r; p++) {
                    for (int q = 0; q < r; q++) {
                        double aat = 0;
                        for (int i = 0; i < in; i++) {
                            aat += (double) a[p * in + i] * a[q * in + i];
                        }
                        double btb = 0;
                        for (int o = 0; o < out; o++) {
                            btb += (double) b[o * r + p] * b[o * r + q];
                        }
                        double identity = p == q ? 1 : 0;
                        normA += (aat - identity) * (aat - identity);
                        normB += (btb - identity) * (btb - identity);
                    }
                }
                sum += Math.sqrt(normA) + Math.sqrt(normB);
                count += 2;
            }
            double expected = 0.5 * sum / count;
            try (NDManager scope = model.manager().newSubManager()) {
                NDArray penalty = method.regularizationLoss(scope).orElseThrow();
                assertThat(penalty.getShape()).isEqualTo(new Shape());
                assertThat((double) penalty.getFloat()).isCloseTo(expected, within(1e-5));
            }
        }
    }

    /** PEFT v0.20 AdaLoraModel.forward adds orth_reg_weight · penalty: at 0 there is no term. */
    @Test
    void zeroOrthRegWeightAddsNoPenalty() {
        AdaLoraConfig c = CONFIG;
        AdaLoraConfig zero = new AdaLoraConfig(c.targetR(), c.initR(), c.tinit(), c.tfinal(), c.deltaT(), c.beta1(),
                c.beta2(), 0.0, c.totalStep(), c.rankPattern(), c.loraAlpha(), c.loraDropout(), c.targetModules(),
                c.excludeModules(), c.layersToTransform(), c.layersPattern(), c.bias(), c.initLoraWeights(), c.useDora());
        try (CausalLM model = AdaLoraFixtures.llama(8)) {
            AdaLoraMethod method = adalora(model, zero);
            randomize(method, 9, 0.3);
            try (NDManager scope = model.manager().newSubManager()) {
                assertThat(method.regularizationLoss(scope)).isEmpty();
            }
        }
    }

    @Test
    void onlyAdapterParametersReceiveGradients() {
        try (CausalLM model = AdaLoraFixtures.llama(8)) {
            AdaLoraMethod method = adalora(model, CONFIG);
            randomize(method, 9, 0.3);
            AdaLoraFixtures.NextToken objective = new AdaLoraFixtures.NextToken(model, 2, 10);
            try (NDManager scope = model.manager().newSubManager();
                 GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray loss = objective.compute(List.of(0, 1), scope).loss()
                        .add(method.regularizationLoss(scope).orElseThrow());
                System.gc(); // a freed autograd scalar would turn the loss NaN (STACK.md)
                collector.backward(loss);
            }
            method.trainableParameters().forEach((name, array) -> {
                try (NDArray gradient = array.getGradient()) {
                    assertThat(gradient.abs().sum().getFloat()).as(name).isGreaterThan(0f);
                }
            });
            assertThat(model.parameters().values()).noneMatch(NDArray::hasGradient);
        }
    }

    @Test
    void mergeAndUnloadKeepsTheLogits() {
        for (boolean gpt2 : new boolean[] {false, true}) {
            try (CausalLM model = gpt2 ? AdaLoraFixtures.gpt2(11) : AdaLoraFixtures.llama(11)) {
                AdaLoraMethod method = adalora(model, CONFIG);
                randomize(method, 12, 0.3);
                float[] adapted = logits(model);

                method.mergeAndUnload();

                float[] merged = logits(model);
                for (int i = 0; i < adapted.length; i++) {
                    assertThat(merged[i]).as("gpt2=%s logit %d", gpt2, i).isCloseTo(adapted[i], within(1e-4f));
                }
                for (Linear linear : model.linears().values()) {
                    assertThat(linear).isNotInstanceOf(SvdLinear.class);
                }
                assertThat(method.trainableParameters()).isEmpty();
            }
        }
    }

    @Test
    void maskedTripletsDoNotChangeTheFunction() {
        try (CausalLM model = AdaLoraFixtures.llama(13)) {
            AdaLoraMethod method = adalora(model, CONFIG);
            randomize(method, 14, 0.3);
            SvdLinear layer = method.layers().values().iterator().next();
            float[] e = layer.loraE().toFloatArray();
            e[1] = 0f;
            layer.loraE().set(e);
            float[] before = logits(model);
            // with E_1 = 0, row 1 of A and column 1 of B are free: changing them changes nothing
            float[] a = layer.loraA().toFloatArray();
            for (int i = 0; i < layer.inFeatures(); i++) {
                a[layer.inFeatures() + i] += 5f;
            }
            layer.loraA().set(a);

            assertThat(logits(model)).containsExactly(before);
        }
    }

    @Test
    void aRankPatternCreatesModulesAtTheirKeptRanksEvenZero(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        String q0 = "model.layers.0.self_attn.q_proj.lora_E";
        String v1 = "model.layers.1.self_attn.v_proj.lora_E";
        AdaLoraConfig config = CONFIG.withRankPattern(Map.of(q0, List.of(false, false, false), v1, List.of(true, false, true)));
        float[] saved;
        try (CausalLM model = AdaLoraFixtures.llama(15)) {
            AdaLoraMethod method = adalora(model, config);
            assertThat(method.ranks()).containsEntry("model.layers.0.self_attn.q_proj", 0)
                    .containsEntry("model.layers.1.self_attn.v_proj", 2)
                    .containsEntry("model.layers.0.self_attn.v_proj", 3);
            randomize(method, 16, 0.3);
            saved = logits(model);
            try (NDManager scope = model.manager().newSubManager()) {
                assertThat(method.regularizationLoss(scope).orElseThrow().getFloat()).isFinite();
            }
            method.saveAdapter(dir, "tiny");
        }
        try (CausalLM model = AdaLoraFixtures.llama(15)) {
            AdaLoraMethod method = adalora(model, config);
            method.loadAdapter(dir);
            assertThat(logits(model)).containsExactly(saved);
        }
    }
}
