package io.finetune4j.runtime.model;

import static io.finetune4j.runtime.model.TestModels.maxDiff;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ModelConfig;
import io.finetune4j.runtime.io.CheckpointWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Key layouts transformers loads (v4.46–4.57 {@code modeling_utils.py}: {@code _load_pretrained_model},
 * {@code _find_missing_and_unexpected_keys}): base-model prefix present or absent, a tied embedding stored
 * under either name, the head missing when tied, and one report of missing and unexpected keys.
 */
class CheckpointKeyLayoutTest {
    private static final long[] IDS = {1, 5, 9, 30, 2};

    @TempDir
    Path temp;

    @Test
    void llamaWithoutPrefixAndTiedEmbeddingStoredAsLmHeadLoads() {
        assertLoadsLikeTheOriginal(true, name -> name.equals("model.embed_tokens.weight") ? "lm_head.weight"
                : name.startsWith("model.") ? name.substring("model.".length()) : name);
    }

    @Test
    void prefixedLlamaWithTiedEmbeddingStoredAsLmHeadLoads() {
        assertLoadsLikeTheOriginal(true, name -> name.equals("model.embed_tokens.weight") ? "lm_head.weight" : name);
    }

    @Test
    void llamaWithoutPrefixAndUntiedHeadLoads() {
        assertLoadsLikeTheOriginal(false, name -> name.startsWith("model.") ? name.substring("model.".length()) : name);
    }

    @Test
    void missingAndUnexpectedKeysAreReportedTogether() {
        Path dir = temp.resolve("renamed");
        ModelConfig config;
        try (CausalLM model = TestModels.llama("llama", 2, 1, false, 3)) {
            config = model.config();
            Map<String, NDArray> tensors = rename(model.parameters(), name -> name.replace("mlp.down_proj", "mlp.down"));
            CheckpointWriter.write(dir, config, tensors, Map.of(), null);
        }
        String file = dir.resolve("model.safetensors").toString();
        assertThatThrownBy(() -> ModelLoader.load(dir, Device.cpu()))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).containsExactly(
                        file + ": missing tensor 'model.layers.0.mlp.down_proj.weight' (expected shape [16, 24])",
                        file + ": missing tensor 'model.layers.1.mlp.down_proj.weight' (expected shape [16, 24])",
                        file + ": unexpected tensor 'model.layers.0.mlp.down.weight' (shape [16, 24]), not read by the model",
                        file + ": unexpected tensor 'model.layers.1.mlp.down.weight' (shape [16, 24]), not read by the model"));
    }

    @Test
    void tiedHeadBesideItsEmbeddingAndOldBuffersAreNotUnexpected() {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu());
                CausalLM model = TestModels.llama("llama", 2, 1, true, 4)) {
            Architecture architecture = TransformerModel.architecture(model.config(), model.parameters(), manager, "test");
            List<String> names = new java.util.ArrayList<>(model.parameters().keySet());
            names.add("lm_head.weight");
            names.add("model.layers.0.self_attn.rotary_emb.inv_freq");
            names.add("model.layers.0.extra.weight");
            assertThat(CheckpointKeys.unexpected(new java.util.LinkedHashSet<>(names), architecture))
                    .containsExactly("model.layers.0.extra.weight");
        }
    }

    @Test
    void gpt2AttentionBiasBuffersAreNotUnexpected() {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu());
                CausalLM model = TestModels.gpt2(5)) {
            Architecture architecture = TransformerModel.architecture(model.config(), model.parameters(), manager, "test");
            List<String> names = new java.util.ArrayList<>(model.parameters().keySet());
            names.add("transformer.h.0.attn.bias");
            names.add("transformer.h.1.attn.masked_bias");
            assertThat(CheckpointKeys.unexpected(new java.util.LinkedHashSet<>(names), architecture)).isEmpty();
        }
    }

    @Test
    void anUnexpectedTensorAloneIsKeptAndSavedBack() {
        Path dir = temp.resolve("extra");
        try (CausalLM model = TestModels.llama("llama", 2, 1, false, 6)) {
            Map<String, NDArray> tensors = new LinkedHashMap<>(model.parameters());
            NDArray extra = model.manager().ones(new Shape(3));
            tensors.put("model.extra_scale", extra);
            CheckpointWriter.write(dir, model.config(), tensors, Map.of(), null);
        }
        try (CausalLM loaded = ModelLoader.load(dir, Device.cpu())) {
            assertThat(loaded.parameters().get("model.extra_scale").toFloatArray()).containsExactly(1f, 1f, 1f);
        }
    }

    private void assertLoadsLikeTheOriginal(boolean tied, UnaryOperator<String> layout) {
        Path dir = temp.resolve("layout");
        float[][] expected;
        try (CausalLM model = TestModels.llama("llama", 2, 1, tied, 7)) {
            expected = TestModels.logits(model, IDS);
            CheckpointWriter.write(dir, model.config(), rename(model.parameters(), layout), Map.of(), null);
        }
        try (CausalLM loaded = ModelLoader.load(dir, Device.cpu())) {
            assertThat(maxDiff(expected, TestModels.logits(loaded, IDS))).isZero();
        }
    }

    private static Map<String, NDArray> rename(Map<String, NDArray> tensors, UnaryOperator<String> layout) {
        Map<String, NDArray> renamed = new LinkedHashMap<>();
        tensors.forEach((name, tensor) -> renamed.put(layout.apply(name), tensor));
        return renamed;
    }
}
