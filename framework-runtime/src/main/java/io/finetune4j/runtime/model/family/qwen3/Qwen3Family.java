package io.finetune4j.runtime.model.family.qwen3;

import ai.djl.ndarray.NDManager;
import io.finetune4j.api.model.ModelConfig;
import io.finetune4j.runtime.model.Architecture;
import io.finetune4j.runtime.model.RawConfig;
import io.finetune4j.runtime.model.family.ConfigKeys;
import io.finetune4j.runtime.model.family.ModelFamily;
import io.finetune4j.runtime.model.family.ModelShape;
import io.finetune4j.runtime.model.family.PeftTargets;
import io.finetune4j.runtime.model.family.llama.LlamaArchitecture;
import io.finetune4j.runtime.model.family.llama.LlamaFamily;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Qwen3 (transformers' {@code Qwen3Config} and {@code modeling_qwen3.py}): the Llama forward with an RMSNorm
 * over head_dim on every query and key head before RoPE, q/k/v and o biases only with {@code attention_bias},
 * and an explicit {@code head_dim} that may differ from hidden / heads (Qwen3-0.6B: 1024 / 16 heads, head_dim 128).
 * Sliding windows apply only from {@code max_window_layers} on, so a window shorter than the sequence is
 * refused, as for Qwen2.
 */
public final class Qwen3Family implements ModelFamily {
    @Override
    public List<String> modelTypes() {
        return List.of("qwen3");
    }

    @Override
    public ModelConfig parse(String modelType, ConfigKeys keys) {
        int vocab = keys.positiveInt("vocab_size");
        int hidden = keys.positiveInt("hidden_size");
        int layers = keys.positiveInt("num_hidden_layers");
        int heads = keys.positiveInt("num_attention_heads");
        int kvHeads = keys.optionalPositiveInt("num_key_value_heads", heads);
        int intermediate = keys.positiveInt("intermediate_size");
        // Required: Qwen3Config's default (128) is rarely hidden / heads, and ModelConfig.headDim() reads the key.
        keys.positiveInt("head_dim");
        int positions = keys.optionalPositiveInt("max_position_embeddings", 32768);
        double eps = keys.positiveDouble("rms_norm_eps", 1e-6);
        double ropeTheta = keys.ropeTheta();
        boolean tie = keys.bool("tie_word_embeddings", false);
        boolean attentionBias = keys.bool("attention_bias", false);
        String act = keys.string("hidden_act", "silu");
        if (heads > 0 && kvHeads > 0 && heads % kvHeads != 0) {
            keys.problem(String.format("'num_attention_heads' %d is not divisible by 'num_key_value_heads' %d",
                    heads, kvHeads));
        }
        return new ModelConfig(modelType, vocab, hidden, layers, heads, kvHeads, intermediate, positions, eps,
                ropeTheta, tie, attentionBias, act, keys.raw());
    }

    @Override
    public Map<String, Object> toConfigJson(ModelConfig config) {
        Map<String, Object> map = LlamaFamily.commonKeys(config, "Qwen3ForCausalLM");
        map.put("head_dim", config.headDim());
        map.put("attention_bias", config.attentionBias());
        return map;
    }

    @Override
    public ModelConfig randomConfig(String modelType, ModelShape shape) {
        Map<String, Object> raw = LlamaFamily.randomKeys(modelType, "Qwen3ForCausalLM", shape);
        raw.put("head_dim", shape.resolvedHeadDim());
        raw.put("attention_bias", false);
        raw.put("use_sliding_window", false);
        raw.put("sliding_window", null);
        raw.put("max_window_layers", shape.numHiddenLayers());
        return LlamaFamily.withTail(raw, modelType, shape, false);
    }

    @Override
    public Architecture architecture(ModelConfig config, Set<String> tensorNames, NDManager manager, String source) {
        boolean windowed = new RawConfig(config.raw(), source).bool("use_sliding_window", false);
        LlamaArchitecture.Options options = new LlamaArchitecture.Options(config.attentionBias(), config.attentionBias(),
                windowed, true, new Qwen3QueryKeyNorm(config.normEps()));
        return new LlamaArchitecture(config, tensorNames, manager, source, options);
    }

    /**
     * PEFT v0.20 {@code utils/constants.py} maps qwen3 to {@code [q_proj, v_proj]} for LoRA and to
     * {@code [q_proj, v_proj, down_proj]} (feed-forward {@code down_proj}) for IA3.
     */
    @Override
    public PeftTargets peftTargets() {
        return new PeftTargets(List.of("q_proj", "v_proj"), List.of("q_proj", "v_proj", "down_proj"),
                List.of("down_proj"), LlamaFamily.LINEAR_MODULES);
    }
}
