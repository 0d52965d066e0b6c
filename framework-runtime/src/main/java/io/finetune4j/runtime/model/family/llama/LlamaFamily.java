package io.finetune4j.runtime.model.family.llama;

import ai.djl.ndarray.NDManager;
import io.finetune4j.api.model.ModelConfig;
import io.finetune4j.runtime.model.Architecture;
import io.finetune4j.runtime.model.RawConfig;
import io.finetune4j.runtime.model.family.ConfigKeys;
import io.finetune4j.runtime.model.family.ModelFamily;
import io.finetune4j.runtime.model.family.ModelShape;
import io.finetune4j.runtime.model.family.PeftTargets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Llama, Mistral and Qwen2: transformers' {@code LlamaConfig}, {@code MistralConfig} and {@code Qwen2Config}
 * defaults, one forward ({@link LlamaArchitecture}).
 */
public final class LlamaFamily implements ModelFamily {
    /** Linear layers of a decoder layer, in model order. */
    public static final List<String> LINEAR_MODULES =
            List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

    @Override
    public List<String> modelTypes() {
        return List.of("llama", "mistral", "qwen2");
    }

    @Override
    public ModelConfig parse(String modelType, ConfigKeys keys) {
        int vocab = keys.positiveInt("vocab_size");
        int hidden = keys.positiveInt("hidden_size");
        int layers = keys.positiveInt("num_hidden_layers");
        int heads = keys.positiveInt("num_attention_heads");
        int kvHeads = keys.optionalPositiveInt("num_key_value_heads", heads);
        int intermediate = keys.positiveInt("intermediate_size");
        int defaultPositions = switch (modelType) {
            case "mistral" -> 4096 * 32;
            case "qwen2" -> 32768;
            default -> 2048;
        };
        int positions = keys.optionalPositiveInt("max_position_embeddings", defaultPositions);
        double eps = keys.positiveDouble("rms_norm_eps", 1e-6);
        double ropeTheta = keys.ropeTheta();
        boolean tie = keys.bool("tie_word_embeddings", false);
        // Qwen2's q/k/v projections always carry biases; Llama and Mistral only with attention_bias.
        boolean attentionBias = "qwen2".equals(modelType) || keys.bool("attention_bias", false);
        String act = keys.string("hidden_act", "silu");
        keys.unsupportedIfTrue("mlp_bias", "MLP biases are not supported");
        keys.checkHeads(hidden, "hidden_size", heads, "num_attention_heads", kvHeads, "num_key_value_heads");
        return new ModelConfig(modelType, vocab, hidden, layers, heads, kvHeads, intermediate, positions, eps,
                ropeTheta, tie, attentionBias, act, keys.raw());
    }

    @Override
    public Map<String, Object> toConfigJson(ModelConfig config) {
        String architecture = switch (config.modelType()) {
            case "mistral" -> "MistralForCausalLM";
            case "qwen2" -> "Qwen2ForCausalLM";
            default -> "LlamaForCausalLM";
        };
        Map<String, Object> map = commonKeys(config, architecture);
        if (!"qwen2".equals(config.modelType())) {
            map.put("attention_bias", config.attentionBias());
        }
        return map;
    }

    /** The keys every Llama-shaped config.json has, from the config's fields. */
    public static Map<String, Object> commonKeys(ModelConfig config, String architecture) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("architectures", List.of(architecture));
        map.put("model_type", config.modelType());
        map.put("vocab_size", config.vocabSize());
        map.put("hidden_size", config.hiddenSize());
        map.put("intermediate_size", config.intermediateSize());
        map.put("num_hidden_layers", config.numHiddenLayers());
        map.put("num_attention_heads", config.numAttentionHeads());
        map.put("num_key_value_heads", config.numKeyValueHeads());
        map.put("max_position_embeddings", config.maxPositionEmbeddings());
        map.put("rms_norm_eps", config.normEps());
        map.put("rope_theta", config.ropeTheta());
        map.put("hidden_act", config.hiddenAct());
        map.put("tie_word_embeddings", config.tieWordEmbeddings());
        return map;
    }

    @Override
    public ModelConfig randomConfig(String modelType, ModelShape shape) {
        String architecture = switch (modelType) {
            case "llama" -> "LlamaForCausalLM";
            case "mistral" -> "MistralForCausalLM";
            case "qwen2" -> "Qwen2ForCausalLM";
            default -> throw new IllegalArgumentException("not a Llama-family model_type: " + modelType);
        };
        Map<String, Object> raw = randomKeys(modelType, architecture, shape);
        switch (modelType) {
            case "llama" -> {
                raw.put("attention_bias", false);
                raw.put("mlp_bias", false);
            }
            case "mistral" -> raw.put("sliding_window", null);
            default -> {
                raw.put("use_sliding_window", false);
                raw.put("sliding_window", null);
            }
        }
        return withTail(raw, modelType, shape, "qwen2".equals(modelType));
    }

    /** The leading keys of a random Llama-shaped config.json (rms_norm_eps 1e-6, rope_theta 10000). */
    public static Map<String, Object> randomKeys(String modelType, String architecture, ModelShape shape) {
        Map<String, Object> raw = new LinkedHashMap<>();
        raw.put("architectures", List.of(architecture));
        raw.put("model_type", modelType);
        raw.put("vocab_size", shape.vocabSize());
        raw.put("hidden_size", shape.hiddenSize());
        raw.put("intermediate_size", shape.intermediateSize());
        raw.put("num_hidden_layers", shape.numHiddenLayers());
        raw.put("num_attention_heads", shape.numAttentionHeads());
        raw.put("num_key_value_heads", shape.numKeyValueHeads());
        raw.put("max_position_embeddings", shape.maxPositionEmbeddings());
        raw.put("hidden_act", "silu");
        raw.put("rms_norm_eps", 1e-6);
        raw.put("rope_theta", 10000.0);
        raw.put("rope_scaling", null);
        raw.put("initializer_range", 0.02);
        raw.put("attention_dropout", 0.0);
        return raw;
    }

    /** Adds the trailing keys to {@code raw} and builds the config. */
    public static ModelConfig withTail(Map<String, Object> raw, String modelType, ModelShape shape, boolean attentionBias) {
        raw.put("tie_word_embeddings", shape.tieWordEmbeddings());
        raw.put("torch_dtype", "float32");
        raw.put("use_cache", true);
        return new ModelConfig(modelType, shape.vocabSize(), shape.hiddenSize(), shape.numHiddenLayers(),
                shape.numAttentionHeads(), shape.numKeyValueHeads(), shape.intermediateSize(),
                shape.maxPositionEmbeddings(), 1e-6, 10000.0, shape.tieWordEmbeddings(), attentionBias, "silu", raw);
    }

    @Override
    public Architecture architecture(ModelConfig config, Set<String> tensorNames, NDManager manager, String source) {
        boolean qwen2 = "qwen2".equals(config.modelType());
        boolean windowed = "mistral".equals(config.modelType())
                || new RawConfig(config.raw(), source).bool("use_sliding_window", false);
        LlamaArchitecture.Options options = new LlamaArchitecture.Options(qwen2 || config.attentionBias(),
                !qwen2 && config.attentionBias(), windowed, qwen2, QueryKeyNorm.NONE);
        return new LlamaArchitecture(config, tensorNames, manager, source, options);
    }

    /** PEFT v0.20 {@code utils/constants.py}: llama and mistral. */
    @Override
    public PeftTargets peftTargets() {
        return new PeftTargets(List.of("q_proj", "v_proj"), List.of("k_proj", "v_proj", "down_proj"),
                List.of("down_proj"), LINEAR_MODULES);
    }

    /**
     * PEFT v0.20 {@code utils/constants.py} {@code TRANSFORMERS_MODELS_TO_IA3_TARGET_MODULES_MAPPING}:
     * {@code "qwen2": ["q_proj", "v_proj", "down_proj"]}, where llama and mistral have {@code k_proj}.
     */
    @Override
    public PeftTargets peftTargets(String modelType) {
        if ("qwen2".equals(modelType)) {
            return new PeftTargets(List.of("q_proj", "v_proj"), List.of("q_proj", "v_proj", "down_proj"),
                    List.of("down_proj"), LINEAR_MODULES);
        }
        return peftTargets();
    }
}
