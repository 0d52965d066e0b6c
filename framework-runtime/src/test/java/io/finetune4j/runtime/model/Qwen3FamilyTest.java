package io.finetune4j.runtime.model;

import static io.finetune4j.runtime.model.TestModels.maxDiff;
import static io.finetune4j.runtime.model.TestModels.rows;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ForwardInput;
import io.finetune4j.api.model.ForwardOutput;
import io.finetune4j.api.model.KvCache;
import io.finetune4j.api.model.ModelConfig;
import io.finetune4j.runtime.io.ModelConfigJson;
import io.finetune4j.runtime.model.family.ModelFamilies;
import io.finetune4j.runtime.model.family.ModelShape;
import io.finetune4j.runtime.tokenizer.HfTokenizer;
import io.finetune4j.runtime.tokenizer.TokenizerFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Qwen3 tested as the other families are: against the double reference, through the cache and through files. */
class Qwen3FamilyTest {
    private static final long[] IDS = {3, 17, 5, 9, 30, 1, 12, 7, 22, 4};
    private static final double TOLERANCE = 1e-4;

    /** Qwen3-0.6B's config.json (transformers 4.51), abridged to the keys the parser reads. */
    private static final String QWEN3_0_6B = """
            {"architectures": ["Qwen3ForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
             "bos_token_id": 151643, "eos_token_id": 151645, "head_dim": 128, "hidden_act": "silu",
             "hidden_size": 1024, "initializer_range": 0.02, "intermediate_size": 3072,
             "max_position_embeddings": 40960, "max_window_layers": 28, "model_type": "qwen3",
             "num_attention_heads": 16, "num_hidden_layers": 28, "num_key_value_heads": 8, "rms_norm_eps": 1e-06,
             "rope_scaling": null, "rope_theta": 1000000, "sliding_window": null, "tie_word_embeddings": true,
             "torch_dtype": "bfloat16", "use_cache": true, "use_sliding_window": false, "vocab_size": 151936}
            """;

    @TempDir
    Path temp;

    @Test
    void logitsMatchDoubleReferenceWithHeadDimUnlikeHiddenOverHeads() {
        try (CausalLM model = TestModels.qwen3(false, 21, TestTokenizer.of(TestModels.VOCAB))) {
            assertThat(model.config().headDim()).isEqualTo(6); // hidden 16 / 4 heads would be 4
            assertThat(model.parameters()).containsKeys("model.layers.0.self_attn.q_norm.weight",
                            "model.layers.1.self_attn.k_norm.weight", "lm_head.weight")
                    .doesNotContainKeys("model.layers.0.self_attn.q_proj.bias", "model.layers.0.self_attn.o_proj.bias");
            assertThat(model.parameters().get("model.layers.0.self_attn.q_norm.weight").getShape()).isEqualTo(new Shape(6));
            assertThat(model.linears().get("model.layers.0.self_attn.q_proj").outFeatures()).isEqualTo(24);
            assertThat(model.linears().get("model.layers.0.self_attn.o_proj").inFeatures()).isEqualTo(24);
            assertMatchesReference(model);
        }
    }

    @Test
    void tiedQwen3MatchesReference() {
        try (CausalLM model = TestModels.qwen3(true, 22, TestTokenizer.of(TestModels.VOCAB))) {
            assertThat(model.parameters()).doesNotContainKey("lm_head.weight");
            assertMatchesReference(model);
        }
    }

    @Test
    void queryKeyNormsChangeTheLogits() {
        // A forward that skipped q_norm/k_norm would still match a reference that skipped them: pin that they act.
        try (CausalLM model = TestModels.qwen3(false, 23, TestTokenizer.of(TestModels.VOCAB))) {
            float[][] before = TestModels.logits(model, IDS);
            model.parameters().get("model.layers.0.self_attn.k_norm.weight").muli(model.manager().create(3f));
            assertThat(maxDiff(before, TestModels.logits(model, IDS))).isGreaterThan(1e-3);
            assertMatchesReference(model);
        }
    }

    @Test
    void incrementalDecodingWithCacheEqualsFullForward() {
        try (CausalLM model = TestModels.qwen3(true, 24, TestTokenizer.of(TestModels.VOCAB));
                NDManager step = model.manager().getEngine().newBaseManager(model.device())) {
            float[][] full = TestModels.logits(model, IDS);
            int split = 4;
            ForwardOutput prefill = model.forward(ForwardInput.of(ids(step, Arrays.copyOf(IDS, split))).withCache(null, true));
            assertThat(maxDiff(Arrays.copyOf(full, split), rows(prefill.logits().toFloatArray(), split))).isLessThan(1e-5);
            KvCache cache = prefill.cache();
            for (int t = split; t < IDS.length; t++) {
                ForwardOutput out = model.forward(ForwardInput.of(ids(step, IDS[t])).withCache(cache, true)
                        .withLogits(ForwardInput.Logits.LAST));
                assertThat(maxDiff(new float[][] {full[t]}, rows(out.logits().toFloatArray(), 1))).isLessThan(1e-5);
                cache = out.cache();
                assertThat(cache.length()).isEqualTo(t + 1);
            }
        }
    }

    @Test
    void saveThenLoadKeepsConfigTensorsAndLogits() throws IOException {
        Path tokenizer = temp.resolve("tokenizer");
        TokenizerFiles.writeByteLevel(tokenizer, List.of("<|end|>"), List.of(), null, "<|end|>", null);
        ModelConfig config = ModelFactory.config("qwen3", new ModelShape(257, 16, 2, 4, 2, 24, 64, true, 6));
        Path dir = temp.resolve("qwen3");
        try (CausalLM model = ModelFactory.random(config, HfTokenizer.load(tokenizer), tokenizer, 25, Device.cpu())) {
            ModelLoader.save(model, dir);
            assertThat(Files.readString(dir.resolve("config.json"))).contains("\"head_dim\"").contains("\"qwen3\"");
            try (CausalLM loaded = ModelLoader.load(dir, Device.cpu())) {
                ModelLoaderTest.assertSameParameters(model, loaded);
                assertThat(loaded.config()).isEqualTo(model.config());
                long[] ids = loaded.tokenizer().encode("hello", false);
                assertThat(maxDiff(TestModels.logits(model, ids), TestModels.logits(loaded, ids))).isZero();
            }
        }
    }

    @Test
    void parsesQwen3ZeroPointSixBConfig() {
        ModelConfig config = ModelConfigJson.parse(QWEN3_0_6B, "config.json");
        assertThat(config.modelType()).isEqualTo("qwen3");
        assertThat(config.hiddenSize()).isEqualTo(1024);
        assertThat(config.numAttentionHeads()).isEqualTo(16);
        assertThat(config.numKeyValueHeads()).isEqualTo(8);
        assertThat(config.headDim()).isEqualTo(128);
        assertThat(config.attentionBias()).isFalse();
        assertThat(config.tieWordEmbeddings()).isTrue();
        assertThat(config.ropeTheta()).isEqualTo(1_000_000.0);
    }

    @Test
    void rejectsAConfigWithoutHeadDim() {
        String json = QWEN3_0_6B.replace("\"head_dim\": 128, ", "");
        assertThatThrownBy(() -> ModelConfigJson.parse(json, "config.json"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("config.json: missing required key 'head_dim' (model_type 'qwen3')");
    }

    @Test
    void refusesASlidingWindowShorterThanTheSequence() {
        try (CausalLM base = TestModels.qwen3(true, 26, TestTokenizer.of(TestModels.VOCAB))) {
            Map<String, Object> raw = new LinkedHashMap<>(base.config().raw());
            raw.put("use_sliding_window", true);
            raw.put("sliding_window", 4);
            ModelConfig windowed = ModelConfigJson.fromMap(raw, "windowed");
            try (CausalLM model = ModelFactory.random(windowed, null, null, 1, Device.cpu())) {
                assertThat(TestModels.logits(model, Arrays.copyOf(IDS, 4))).hasNumberOfRows(4);
                assertThatThrownBy(() -> TestModels.logits(model, IDS))
                        .isInstanceOf(UnsupportedOperationException.class)
                        .hasMessageContaining("exceeds sliding_window 4");
            }
        }
    }

    @Test
    void loraDefaultTargetsAreQueryAndValueAndTheMergedDefaultsStayAsBefore() {
        assertThat(ModelFamilies.peftTargets("qwen3").orElseThrow().lora()).containsExactly("q_proj", "v_proj");
        assertThat(ModelFamilies.peftDefaults().lora()).containsExactly("q_proj", "v_proj", "c_attn");
        assertThat(ModelFamilies.peftDefaults().ia3())
                .containsExactly("k_proj", "v_proj", "down_proj", "q_proj", "c_attn", "mlp.c_proj");
        assertThat(ModelFamilies.peftDefaults().ia3FeedForward()).containsExactly("down_proj", "mlp.c_proj");
        assertThat(ModelFamilies.modelTypes()).containsExactly("gpt2", "llama", "mistral", "qwen2", "qwen3");
        try (CausalLM model = TestModels.qwen3(true, 27, TestTokenizer.of(TestModels.VOCAB))) {
            List<String> suffixes = model.linears().keySet().stream()
                    .map(name -> name.substring(name.lastIndexOf('.') + 1)).distinct().toList();
            assertThat(suffixes).containsExactlyElementsOf(ModelFamilies.peftTargets("qwen3").orElseThrow().linearModules());
        }
    }

    /** PEFT v0.20 utils/constants.py TRANSFORMERS_MODELS_TO_IA3_{TARGET,FEEDFORWARD}_MODULES_MAPPING. */
    @Test
    void ia3DefaultTargetsArePeftsTablePerModelType() {
        assertThat(ModelFamilies.peftTargets("qwen2").orElseThrow().ia3()).containsExactly("q_proj", "v_proj", "down_proj");
        assertThat(ModelFamilies.peftTargets("qwen3").orElseThrow().ia3()).containsExactly("q_proj", "v_proj", "down_proj");
        assertThat(ModelFamilies.peftTargets("llama").orElseThrow().ia3()).containsExactly("k_proj", "v_proj", "down_proj");
        assertThat(ModelFamilies.peftTargets("mistral").orElseThrow().ia3()).containsExactly("k_proj", "v_proj", "down_proj");
        assertThat(ModelFamilies.peftTargets("gpt2").orElseThrow().ia3()).containsExactly("c_attn", "mlp.c_proj");
        for (String type : List.of("qwen2", "qwen3", "llama", "mistral")) {
            assertThat(ModelFamilies.peftTargets(type).orElseThrow().ia3FeedForward()).as(type).containsExactly("down_proj");
        }
        assertThat(ModelFamilies.peftTargets("gpt2").orElseThrow().ia3FeedForward()).containsExactly("mlp.c_proj");
    }

    private static void assertMatchesReference(CausalLM model) {
        double[][] expected = ReferenceModel.of(model).logits(IDS);
        float[][] actual = TestModels.logits(model, IDS);
        double spread = Arrays.stream(expected[IDS.length - 1]).max().orElseThrow()
                - Arrays.stream(expected[IDS.length - 1]).min().orElseThrow();
        assertThat(spread).isGreaterThan(0.5);
        assertThat(maxDiff(expected, actual)).isLessThan(TOLERANCE);
    }

    private static NDArray ids(NDManager step, long... ids) {
        return step.create(ids, new Shape(1, ids.length));
    }
}
