package io.finetune4j.runtime.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ModelConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Random init, config builders and tensor validation. */
class ModelFactoryTest {
    private static final ModelConfig LLAMA = ModelFactory.llamaConfig(32, 16, 1, 2, 1, 24, 64);

    @Test
    void sameSeedGivesTheSameWeightsAndAnotherSeedOthers() {
        try (CausalLM a = ModelFactory.random(LLAMA, null, null, 5, Device.cpu());
                CausalLM b = ModelFactory.random(LLAMA, null, null, 5, Device.cpu());
                CausalLM c = ModelFactory.random(LLAMA, null, null, 6, Device.cpu())) {
            for (String name : a.parameters().keySet()) {
                assertThat(b.parameters().get(name).toFloatArray()).containsExactly(a.parameters().get(name).toFloatArray());
            }
            String q = "model.layers.0.self_attn.q_proj.weight";
            assertThat(c.parameters().get(q).toFloatArray()).isNotEqualTo(a.parameters().get(q).toFloatArray());
        }
    }

    @Test
    void llamaParametersFollowTransformersOrderAndInit() {
        try (CausalLM model = ModelFactory.random(LLAMA, null, null, 1, Device.cpu())) {
            assertThat(model.parameters().keySet()).containsExactly(
                    "model.embed_tokens.weight",
                    "model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.k_proj.weight",
                    "model.layers.0.self_attn.v_proj.weight", "model.layers.0.self_attn.o_proj.weight",
                    "model.layers.0.mlp.gate_proj.weight", "model.layers.0.mlp.up_proj.weight", "model.layers.0.mlp.down_proj.weight",
                    "model.layers.0.input_layernorm.weight", "model.layers.0.post_attention_layernorm.weight",
                    "model.norm.weight", "lm_head.weight");
            assertThat(model.parameters().get("model.layers.0.self_attn.k_proj.weight").getShape().getShape()).containsExactly(8, 16);
            assertThat(model.parameters().get("model.norm.weight").toFloatArray()).containsOnly(1f);
            assertThat(std(model.parameters().get("model.embed_tokens.weight"))).isBetween(0.017, 0.023);
            assertThat(model.parameterCount()).isEqualTo(32 * 16 * 2 + 16 * 16 * 2 + 8 * 16 * 2 + 24 * 16 * 3 + 16 * 3);
        }
    }

    @Test
    void gpt2InitZeroesBiasesAndScalesResidualProjections() {
        ModelConfig config = ModelFactory.gpt2Config(64, 32, 2, 2, 64);
        try (CausalLM model = ModelFactory.random(config, null, null, 1, Device.cpu())) {
            assertThat(model.parameters()).doesNotContainKey("lm_head.weight");
            assertThat(model.parameters().get("transformer.h.0.attn.c_attn.bias").toFloatArray()).containsOnly(0f);
            assertThat(model.parameters().get("transformer.h.1.ln_2.weight").toFloatArray()).containsOnly(1f);
            assertThat(model.parameters().get("transformer.h.1.ln_2.bias").toFloatArray()).containsOnly(0f);
            assertThat(std(model.parameters().get("transformer.h.0.mlp.c_fc.weight"))).isBetween(0.018, 0.022);
            // 0.02 / sqrt(2 * n_layer) = 0.01
            assertThat(std(model.parameters().get("transformer.h.0.mlp.c_proj.weight"))).isBetween(0.009, 0.011);
        }
    }

    @Test
    void configBuildersWriteTransformersKeys() {
        assertThat(LLAMA.raw()).containsEntry("model_type", "llama").containsEntry("num_key_value_heads", 1)
                .containsEntry("tie_word_embeddings", false).containsEntry("architectures", List.of("LlamaForCausalLM"));
        ModelConfig qwen = ModelFactory.llamaFamilyConfig("qwen2", 32, 16, 1, 2, 1, 24, 64, true);
        assertThat(qwen.attentionBias()).isTrue();
        assertThat(qwen.raw()).containsEntry("architectures", List.of("Qwen2ForCausalLM")).containsEntry("tie_word_embeddings", true);
        ModelConfig gpt2 = ModelFactory.gpt2Config(32, 16, 2, 2, 64);
        assertThat(gpt2.raw()).containsEntry("n_embd", 16).containsEntry("n_layer", 2).containsEntry("n_head", 2)
                .containsEntry("activation_function", "gelu_new").containsEntry("layer_norm_epsilon", 1e-5);
        assertThat(gpt2.intermediateSize()).isEqualTo(64);
    }

    @Test
    void missingAndMisshapenTensorsAreNamedTogether() {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        NDManager manager = NDManager.newBaseManager(Device.cpu());
        try (CausalLM model = ModelFactory.random(LLAMA, null, null, 1, Device.cpu())) {
            model.parameters().forEach((name, array) -> tensors.put(name, manager.create(array.toFloatArray(), array.getShape())));
        }
        tensors.remove("model.layers.0.mlp.up_proj.weight");
        tensors.put("model.norm.weight", manager.zeros(new ai.djl.ndarray.types.Shape(15)));
        try {
            assertThatThrownBy(() -> ModelFactory.fromTensors(LLAMA, tensors, Map.of(), null, null, manager))
                    .isInstanceOf(ConfigException.class)
                    .satisfies(e -> assertThat(((ConfigException) e).problems()).containsExactly(
                            "tensors: missing tensor 'model.layers.0.mlp.up_proj.weight' (expected shape [24, 16])",
                            "tensors: tensor 'model.norm.weight' has shape [15], expected [16] from config.json"));
        } finally {
            manager.close();
        }
    }

    @Test
    void unsupportedArchitecturesAreRejectedByKey() {
        ModelConfig falcon = new ModelConfig("falcon", 32, 16, 1, 2, 2, 24, 64, 1e-5, 0, true, false, "gelu", Map.of());
        assertThatThrownBy(() -> ModelFactory.random(falcon, null, null, 1, Device.cpu()))
                .isInstanceOf(ConfigException.class)
                .hasMessage("random falcon model: model_type: 'falcon' is not supported; supported: [gpt2, llama, mistral, qwen2, qwen3]");
        Map<String, Object> raw = new LinkedHashMap<>(LLAMA.raw());
        raw.put("rope_scaling", Map.of("rope_type", "yarn", "factor", 4.0));
        ModelConfig yarn = new ModelConfig("llama", 32, 16, 1, 2, 1, 24, 64, 1e-6, 10000, false, false, "silu", raw);
        assertThatThrownBy(() -> ModelFactory.random(yarn, null, null, 1, Device.cpu()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("rope_scaling: type 'yarn' is not supported");
    }

    private static double std(NDArray array) {
        float[] values = array.toFloatArray();
        double sum = 0;
        double squares = 0;
        for (float value : values) {
            sum += value;
            squares += (double) value * value;
        }
        double mean = sum / values.length;
        return Math.sqrt(squares / values.length - mean * mean);
    }
}
