package io.finetune4j.runtime.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.ModelConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** config.json parsing through {@link CheckpointReader#readConfig}; defaults are transformers' config classes'. */
class CheckpointConfigTest {
    private static final String LLAMA = """
            {"model_type": "llama", "vocab_size": 32000, "hidden_size": 64, "num_hidden_layers": 2,
             "num_attention_heads": 8, "num_key_value_heads": 4, "intermediate_size": 172,
             "max_position_embeddings": 256, "rms_norm_eps": 1e-05, "rope_theta": 500000.0,
             "tie_word_embeddings": true, "hidden_act": "silu", "attention_bias": false, "rope_scaling": null}
            """;

    @TempDir
    Path dir;

    private Path config(String json) {
        try {
            Files.writeString(dir.resolve("config.json"), json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    private String configFile() {
        return dir.resolve("config.json").toString();
    }

    private void assertRejected(String json, String message) {
        config(json);
        assertThatThrownBy(() -> CheckpointReader.readConfig(dir))
                .isInstanceOf(ConfigException.class)
                .hasMessage(configFile() + ": " + message);
    }

    private String llamaWith(String extra) {
        return LLAMA.replaceFirst("\\{", "{" + extra + ", ");
    }

    @Test
    void readsLlamaConfig() {
        ModelConfig config = CheckpointReader.readConfig(config(LLAMA));

        assertThat(config).isEqualTo(new ModelConfig("llama", 32000, 64, 2, 8, 4, 172, 256, 1e-5, 500000.0, true,
                false, "silu", config.raw()));
        assertThat(config.raw()).containsEntry("vocab_size", 32000).containsKey("rope_scaling");
        assertThat(config.headDim()).isEqualTo(8);
    }

    @Test
    void llamaDefaultsFollowTransformers() {
        ModelConfig config = CheckpointReader.readConfig(config("""
                {"model_type": "llama", "vocab_size": 100, "hidden_size": 16, "num_hidden_layers": 1,
                 "num_attention_heads": 4, "intermediate_size": 32}
                """));

        assertThat(config.numKeyValueHeads()).isEqualTo(4);
        assertThat(config.maxPositionEmbeddings()).isEqualTo(2048);
        assertThat(config.normEps()).isEqualTo(1e-6);
        assertThat(config.ropeTheta()).isEqualTo(10000.0);
        assertThat(config.tieWordEmbeddings()).isFalse();
        assertThat(config.attentionBias()).isFalse();
        assertThat(config.hiddenAct()).isEqualTo("silu");
    }

    @Test
    void readsMistralConfig() {
        ModelConfig config = CheckpointReader.readConfig(config("""
                {"model_type": "mistral", "vocab_size": 32000, "hidden_size": 4096, "num_hidden_layers": 32,
                 "num_attention_heads": 32, "num_key_value_heads": 8, "intermediate_size": 14336,
                 "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "sliding_window": 4096}
                """));

        assertThat(config).isEqualTo(new ModelConfig("mistral", 32000, 4096, 32, 32, 8, 14336, 131072, 1e-5,
                10000.0, false, false, "silu", config.raw()));
    }

    @Test
    void readsQwen2ConfigWithAttentionBias() {
        ModelConfig config = CheckpointReader.readConfig(config("""
                {"model_type": "qwen2", "vocab_size": 151936, "hidden_size": 896, "num_hidden_layers": 24,
                 "num_attention_heads": 14, "num_key_value_heads": 2, "intermediate_size": 4864,
                 "max_position_embeddings": 32768, "rms_norm_eps": 1e-06, "rope_theta": 1000000.0,
                 "tie_word_embeddings": true, "hidden_act": "silu", "use_sliding_window": false}
                """));

        assertThat(config).isEqualTo(new ModelConfig("qwen2", 151936, 896, 24, 14, 2, 4864, 32768, 1e-6,
                1000000.0, true, true, "silu", config.raw()));
    }

    @Test
    void readsGpt2Config() {
        ModelConfig config = CheckpointReader.readConfig(config("""
                {"model_type": "gpt2", "vocab_size": 50257, "n_embd": 768, "n_layer": 12, "n_head": 12,
                 "n_inner": null, "n_positions": 1024, "layer_norm_epsilon": 1e-05,
                 "activation_function": "gelu_new"}
                """));

        assertThat(config).isEqualTo(new ModelConfig("gpt2", 50257, 768, 12, 12, 12, 3072, 1024, 1e-5, 0.0,
                true, true, "gelu_new", config.raw()));
    }

    @Test
    void gpt2ExplicitInnerSizeAndUntiedHead() {
        ModelConfig config = CheckpointReader.readConfig(config("""
                {"model_type": "gpt2", "vocab_size": 10, "n_embd": 8, "n_layer": 1, "n_head": 2,
                 "n_inner": 20, "tie_word_embeddings": false}
                """));

        assertThat(config.intermediateSize()).isEqualTo(20);
        assertThat(config.tieWordEmbeddings()).isFalse();
        assertThat(config.maxPositionEmbeddings()).isEqualTo(1024);
    }

    @Test
    void acceptsHeadDimEqualToHiddenOverHeads() {
        assertThat(CheckpointReader.readConfig(config(llamaWith("\"head_dim\": 8"))).headDim()).isEqualTo(8);
    }

    @Test
    void readsRopeThetaFromDefaultRopeParameters() {
        String json = llamaWith("\"rope_parameters\": {\"rope_type\": \"default\", \"rope_theta\": 250000.0}")
                .replace("\"rope_theta\": 500000.0,", "");

        assertThat(CheckpointReader.readConfig(config(json)).ropeTheta()).isEqualTo(250000.0);
    }

    @Test
    void rejectsUnknownModelType() {
        assertRejected(LLAMA.replace("\"llama\"", "\"phi3\""),
                "model_type 'phi3' is not supported; supported: [gpt2, llama, mistral, qwen2, qwen3]");
    }

    @Test
    void rejectsMissingModelType() {
        assertRejected("{\"vocab_size\": 10}", "missing required key 'model_type'; supported: [gpt2, llama, mistral, qwen2, qwen3]");
    }

    @Test
    void rejectsMissingRequiredKey() {
        assertRejected(LLAMA.replace("\"intermediate_size\": 172,", ""),
                "missing required key 'intermediate_size' (model_type 'llama')");
    }

    @Test
    void rejectsRopeScalingTheModelDoesNotImplement() {
        assertRejected(LLAMA.replace("\"rope_scaling\": null", "\"rope_scaling\": {\"type\": \"dynamic\", \"factor\": 2.0}"),
                "'rope_scaling' {\"type\":\"dynamic\",\"factor\":2.0} is not supported (supported rope types: "
                        + "default, linear, llama3)");
    }

    @Test
    void rejectsHeadDimThatDiffersFromHiddenOverHeads() {
        assertRejected(llamaWith("\"head_dim\": 16"),
                "'head_dim' 16 differs from hidden_size / num_attention_heads = 8; not supported");
    }

    @Test
    void rejectsHiddenSizeNotDivisibleByHeads() {
        assertRejected(LLAMA.replace("\"hidden_size\": 64", "\"hidden_size\": 60"),
                "'hidden_size' 60 is not divisible by 'num_attention_heads' 8");
    }

    @Test
    void rejectsHeadsNotDivisibleByKeyValueHeads() {
        assertRejected(LLAMA.replace("\"num_key_value_heads\": 4", "\"num_key_value_heads\": 3"),
                "'num_attention_heads' 8 is not divisible by 'num_key_value_heads' 3");
    }

    @Test
    void rejectsGpt2EmbeddingNotDivisibleByHeads() {
        assertRejected("{\"model_type\": \"gpt2\", \"vocab_size\": 10, \"n_embd\": 10, \"n_layer\": 1, \"n_head\": 4}",
                "'n_embd' 10 is not divisible by 'n_head' 4");
    }

    @Test
    void rejectsMlpBias() {
        assertRejected(llamaWith("\"mlp_bias\": true"), "'mlp_bias' is true: MLP biases are not supported");
    }

    @Test
    void rejectsGpt2PerLayerAttentionScaling() {
        assertRejected("{\"model_type\": \"gpt2\", \"vocab_size\": 10, \"n_embd\": 8, \"n_layer\": 1, \"n_head\": 2,"
                        + " \"scale_attn_by_inverse_layer_idx\": true}",
                "'scale_attn_by_inverse_layer_idx' is true: per-layer attention scaling is not supported");
    }

    @Test
    void rejectsNonIntegerSize() {
        assertRejected(LLAMA.replace("\"vocab_size\": 32000", "\"vocab_size\": \"big\""),
                "'vocab_size' must be a positive integer, was \"big\"");
    }

    @Test
    void reportsEveryProblemAtOnce() {
        config(LLAMA.replace("\"vocab_size\": 32000,", "").replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 0"));

        assertThatThrownBy(() -> CheckpointReader.readConfig(dir))
                .isInstanceOf(ConfigException.class)
                .hasMessage("2 problems:\n"
                        + "  1. " + configFile() + ": missing required key 'vocab_size' (model_type 'llama')\n"
                        + "  2. " + configFile() + ": 'num_hidden_layers' must be a positive integer, was 0");
    }

    @Test
    void rejectsInvalidJson() {
        config("{\"model_type\": ");

        assertThatThrownBy(() -> CheckpointReader.readConfig(dir))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(configFile() + ": not valid JSON: ");
    }

    @Test
    void rejectsMissingConfigFile() {
        assertThatThrownBy(() -> CheckpointReader.readConfig(dir))
                .isInstanceOf(ConfigException.class)
                .hasMessage(configFile() + ": file not found; a Hugging Face checkpoint directory needs one");
    }

    @Test
    void configBuiltInCodeGetsHuggingFaceKeys() {
        ModelConfig built = new ModelConfig("mistral", 100, 16, 2, 4, 2, 40, 128, 1e-5, 10000.0, false, false,
                "silu", Map.of());

        ModelConfig parsed = ModelConfigJson.fromMap(ModelConfigJson.toMap(built), "built");

        assertThat(parsed).isEqualTo(new ModelConfig("mistral", 100, 16, 2, 4, 2, 40, 128, 1e-5, 10000.0, false,
                false, "silu", parsed.raw()));
    }

    @Test
    void gpt2ConfigBuiltInCodeGetsHuggingFaceKeys() {
        ModelConfig built = new ModelConfig("gpt2", 100, 16, 2, 4, 4, 64, 128, 1e-5, 0.0, true, true,
                "gelu_new", Map.of());

        ModelConfig parsed = ModelConfigJson.fromMap(ModelConfigJson.toMap(built), "built");

        assertThat(parsed).isEqualTo(new ModelConfig("gpt2", 100, 16, 2, 4, 4, 64, 128, 1e-5, 0.0, true, true,
                "gelu_new", parsed.raw()));
    }
}
