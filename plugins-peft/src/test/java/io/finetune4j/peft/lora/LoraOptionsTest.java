package io.finetune4j.peft.lora;

import static io.finetune4j.peft.lora.TinyModels.logits;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.AdapterScope;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.Linear;
import io.finetune4j.runtime.model.ModelFactory;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The LoraConfig options beyond plain LoRA, on tiny models, against independent computations. */
class LoraOptionsTest {
    private static final String Q0 = "model.layers.0.self_attn.q_proj";
    private static final String V0 = "model.layers.0.self_attn.v_proj";
    private static final String Q1 = "model.layers.1.self_attn.q_proj";
    private static final String V1 = "model.layers.1.self_attn.v_proj";

    @Test
    void rsLoraScalesByAlphaOverSqrtRank() {
        try (CausalLM adapted = TinyModels.llama(8); CausalLM merged = TinyModels.llama(8)) {
            LoraOptions options = new LoraOptions();
            options.r = 4;
            options.alpha = 8;
            options.rslora = true;
            LoraMethod method = options.create(adapted, 1);
            LoraOptions.randomize(method, 2);

            assertThat(options.build().scaling()).isEqualTo(8 / Math.sqrt(4));
            for (LoraLinear layer : method.layers().values()) {
                assertThat(layer.scaling()).isEqualTo(4.0);
                merged.parameters().get(layer.name() + ".weight").set(LoraMethodTest.handMerged(layer, 4.0));
            }
            float[] expected = logits(merged);
            float[] actual = logits(adapted);
            for (int i = 0; i < expected.length; i++) {
                assertThat(actual[i]).isCloseTo(expected[i], within(1e-4f));
            }
        }
    }

    @Test
    void gaussianInitDrawsAFromNormalWithStdOneOverRAndZeroB() {
        try (CausalLM model = ModelFactory.random(ModelFactory.llamaConfig(16, 32, 1, 2, 1, 64, 32), null, null, 1,
                Device.cpu())) {
            float[] base = logits(model);
            LoraOptions options = new LoraOptions();
            options.r = 4;
            options.targets = "all-linear";
            options.init = "gaussian";
            LoraMethod method = options.create(model, 3);

            double sum = 0;
            double squares = 0;
            int count = 0;
            for (LoraLinear layer : method.layers().values()) {
                for (float value : layer.loraA().toFloatArray()) {
                    sum += value;
                    squares += value * value;
                    count++;
                }
                assertThat(layer.loraB().toFloatArray()).containsOnly(0f);
            }
            double mean = sum / count;
            double std = Math.sqrt(squares / count - mean * mean);
            assertThat(count).isEqualTo(4 * (6 * 32 + 64));
            assertThat(mean).isCloseTo(0, within(4 * 0.25 / Math.sqrt(count)));
            assertThat(std).isCloseTo(0.25, within(0.025));
            assertThat(logits(model)).containsExactly(base); // zero B: the adapted model is the base
        }
    }

    @Test
    void initFalseMakesBothFactorsRandom() {
        try (CausalLM model = TinyModels.llama(2)) {
            float[] base = logits(model);
            LoraOptions options = new LoraOptions();
            options.init = false;
            LoraLinear layer = options.create(model, 3).layers().get(Q0);

            double bound = 1 / Math.sqrt(2); // B is [out, r]: nn.Linear(r, out)'s kaiming bound 1/sqrt(r)
            for (float value : layer.loraB().toFloatArray()) {
                assertThat((double) Math.abs(value)).isLessThanOrEqualTo(bound);
            }
            assertThat(layer.loraB().toFloatArray()).isNotEqualTo(new float[16]);
            assertThat(logits(model)).isNotEqualTo(base);
        }
    }

    @Test
    void rankAndAlphaPatternsFollowPeftFirstMatchOnANameBoundary() {
        Map<String, Integer> ranks = new LinkedHashMap<>();
        ranks.put("layers\\.1\\.self_attn\\.q_proj", 3);
        ranks.put("q_proj", 4);
        ranks.put("proj", 7); // never: "proj" is not a dot-bounded tail of "...q_proj"
        try (CausalLM model = TinyModels.llama(1)) {
            LoraOptions options = new LoraOptions();
            options.rankPattern = ranks;
            options.alphaPattern = Map.of("v_proj", 12.0);
            LoraMethod method = options.create(model, 1);

            assertThat(method.layers().get(Q0).rank()).isEqualTo(4);
            assertThat(method.layers().get(Q1).rank()).isEqualTo(3);
            assertThat(method.layers().get(V0).rank()).isEqualTo(2);
            assertThat(method.layers().get(Q0).scaling()).isEqualTo(4.0 / 4);
            assertThat(method.layers().get(Q1).scaling()).isCloseTo(4.0 / 3, within(1e-6));
            assertThat(method.layers().get(V1).scaling()).isEqualTo(12.0 / 2);
            assertThat(method.trainableParameters().get("base_model.model." + Q1 + ".lora_B.weight").getShape().get(1))
                    .isEqualTo(3);
        }
        assertThat(LoraConfig.patternKey(List.of("proj"), Q0)).isNull();
        assertThat(LoraConfig.patternKey(List.of("self_attn\\.q_proj"), Q0)).isEqualTo("self_attn\\.q_proj");
        assertThat(LoraConfig.patternKey(List.of(Q0), Q0)).isEqualTo(Q0);
    }

    @Test
    void layersToTransformKeepsTheNamedLayers() {
        try (CausalLM model = TinyModels.llama(1)) {
            LoraOptions options = new LoraOptions();
            options.layers = List.of(1);
            assertThat(options.create(model, 1).layers()).containsOnlyKeys(Q1, V1);
        }
        try (CausalLM model = TinyModels.gpt2(1)) {
            LoraOptions options = new LoraOptions();
            options.layers = List.of(0);
            options.layersPattern = List.of("h");
            assertThat(options.create(model, 1).layers()).containsOnlyKeys("transformer.h.0.attn.c_attn");
        }
        try (CausalLM model = TinyModels.llama(1)) {
            LoraOptions options = new LoraOptions();
            options.layers = List.of(0);
            options.layersPattern = List.of("h"); // Llama's layer list is "layers": nothing is left
            assertThatThrownBy(() -> options.create(model, 1)).isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith("target_modules: none of the 4 matched modules is left to adapt");
        }
    }

    @Test
    void excludeModulesRemovesNamesSuffixesOrARegex() {
        try (CausalLM model = TinyModels.llama(1)) {
            LoraOptions options = new LoraOptions();
            options.targets = "all-linear";
            options.exclude = List.of("down_proj", "k_proj", "o_proj", "gate_proj", "up_proj", Q0);
            assertThat(options.create(model, 1).layers()).containsOnlyKeys(V0, Q1, V1);
        }
        try (CausalLM model = TinyModels.llama(1)) {
            LoraOptions options = new LoraOptions();
            options.exclude = ".*layers\\.1\\..*";
            assertThat(options.create(model, 1).layers()).containsOnlyKeys(Q0, V0);
        }
    }

    @Test
    void aStringTargetIsAFullMatchRegex() {
        try (CausalLM model = TinyModels.llama(1)) {
            LoraOptions options = new LoraOptions();
            options.targets = ".*\\.layers\\.1\\.self_attn\\.(q|k)_proj";
            LoraMethod method = options.create(model, 1);

            assertThat(method.layers()).containsOnlyKeys(Q1, "model.layers.1.self_attn.k_proj");
            assertThat(method.savedTargetModules()).isEqualTo(options.targets);
        }
        try (CausalLM model = TinyModels.llama(1)) {
            LoraOptions options = new LoraOptions();
            options.targets = "q_proj"; // a regex: matches only a module named exactly "q_proj"
            assertThatThrownBy(() -> options.create(model, 1)).isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith("target_modules: regex 'q_proj' matches no module name (a string is a full-match"
                            + " regex, as in PEFT; write [q_proj] to match by name suffix); names look like: [");
        }
    }

    @Test
    void biasModesChooseWhichBiasesTrain() {
        try (CausalLM model = TinyModels.gpt2(1)) {
            LoraOptions options = new LoraOptions();
            assertThat(options.create(model, 1).trainableParameters().keySet()).noneMatch(name -> name.contains("bias"));
            assertThat(model.parameters().values()).noneMatch(NDArray::hasGradient);
        }
        try (CausalLM model = TinyModels.gpt2(1)) {
            LoraOptions options = new LoraOptions();
            options.bias = "lora_only";
            LoraMethod method = options.create(model, 1);

            assertThat(method.trainableParameters().keySet()).filteredOn(name -> name.contains("bias")).containsExactly(
                    "base_model.model.transformer.h.0.attn.c_attn.base_layer.bias",
                    "base_model.model.transformer.h.1.attn.c_attn.base_layer.bias");
            assertThat(method.trainableParameters().get("base_model.model.transformer.h.0.attn.c_attn.base_layer.bias"))
                    .isSameAs(model.parameters().get("transformer.h.0.attn.c_attn.bias"));
            model.parameters().forEach((name, array) ->
                    assertThat(array.hasGradient()).as(name).isEqualTo(name.endsWith("c_attn.bias")));
        }
        try (CausalLM model = TinyModels.gpt2(1)) {
            LoraOptions options = new LoraOptions();
            options.bias = "all";
            LoraMethod method = options.create(model, 1);

            long biasCount = 0;
            for (Map.Entry<String, NDArray> parameter : model.parameters().entrySet()) {
                boolean bias = parameter.getKey().endsWith(".bias");
                assertThat(parameter.getValue().hasGradient()).as(parameter.getKey()).isEqualTo(bias);
                biasCount += bias ? parameter.getValue().size() : 0;
            }
            assertThat(method.trainableParameters()).containsKeys("base_model.model.transformer.h.0.ln_1.bias",
                    "base_model.model.transformer.h.0.attn.c_proj.bias",
                    "base_model.model.transformer.h.0.attn.c_attn.base_layer.bias");
            // PEFT's count: r·(in + out) per target plus every bias
            assertThat(method.trainableParameterCount()).isEqualTo(2 * 2L * (8 + 24) + biasCount);
        }
    }

    @Test
    void modulesToSaveTrainsACopyOfTheLinearLayer() {
        try (CausalLM model = TinyModels.llama(1)) {
            float[] base = logits(model);
            float[] headBefore = model.parameters().get("lm_head.weight").toFloatArray();
            LoraOptions options = new LoraOptions();
            options.modulesToSave = List.of("lm_head");
            LoraMethod method = options.create(model, 1);
            NDArray copy = method.trainableParameters().get("base_model.model.lm_head.weight");

            assertThat(copy.toFloatArray()).containsExactly(headBefore);
            assertThat(copy).isNotSameAs(model.parameters().get("lm_head.weight"));
            assertThat(copy.hasGradient()).isTrue();
            assertThat(logits(model)).containsExactly(base);

            float[] trained = headBefore.clone();
            trained[3] += 1;
            copy.set(trained);
            assertThat(logits(model)).isNotEqualTo(base);
            try (AdapterScope ignored = model.disableAdapters()) {
                assertThat(logits(model)).containsExactly(base);
            }
            method.mergeAndUnload();
            assertThat(model.parameters().get("lm_head.weight").toFloatArray()).containsExactly(trained);
            assertThat(model.linears().get("lm_head")).isNotInstanceOf(ModulesToSaveLinear.class);
        }
    }

    @Test
    void modulesToSaveRejectsModulesThatAreNotLinear() {
        try (CausalLM model = TinyModels.llama(1)) {
            LoraOptions options = new LoraOptions();
            options.modulesToSave = List.of("embed_tokens");
            assertThatThrownBy(() -> options.create(model, 1)).isInstanceOf(ConfigException.class)
                    .hasMessage("modules_to_save: 'embed_tokens' matches 'model.embed_tokens', which is not a linear"
                            + " layer; only linear layers (such as an untied lm_head) can be trained whole");
            options.modulesToSave = List.of("score");
            assertThatThrownBy(() -> options.create(model, 1)).isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith("modules_to_save: 'score' matches no module; linear layers are: [q_proj,");
        }
    }

    /** PEFT's count: Σ r·(in + out) per target, + out per target with DoRA, + modules_to_save sizes. */
    @Test
    void trainableParameterCountEqualsPeftFormula() {
        try (CausalLM model = TinyModels.llama(1)) {
            long expected = 0;
            for (Linear linear : model.linears().values()) {
                if (!linear.name().equals("lm_head")) {
                    expected += 2L * (linear.inFeatures() + linear.outFeatures()) + linear.outFeatures();
                }
            }
            expected += 16 * 8; // lm_head [vocab, hidden], no bias
            LoraOptions options = new LoraOptions();
            options.targets = "all-linear";
            options.dora = true;
            options.modulesToSave = List.of("lm_head");

            assertThat(options.create(model, 1).trainableParameterCount()).isEqualTo(expected);
        }
    }
}
