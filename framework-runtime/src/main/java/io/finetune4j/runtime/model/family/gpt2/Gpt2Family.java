package io.finetune4j.runtime.model.family.gpt2;

import ai.djl.ndarray.NDManager;
import io.finetune4j.api.model.ModelConfig;
import io.finetune4j.runtime.model.Architecture;
import io.finetune4j.runtime.model.family.ConfigKeys;
import io.finetune4j.runtime.model.family.ModelFamily;
import io.finetune4j.runtime.model.family.ModelShape;
import io.finetune4j.runtime.model.family.PeftTargets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** GPT-2: transformers' {@code GPT2Config} keys and defaults, {@link Gpt2Architecture}'s forward. */
public final class Gpt2Family implements ModelFamily {
    @Override
    public List<String> modelTypes() {
        return List.of("gpt2");
    }

    @Override
    public ModelConfig parse(String modelType, ConfigKeys keys) {
        int vocab = keys.positiveInt("vocab_size");
        int hidden = keys.positiveInt("n_embd");
        int layers = keys.positiveInt("n_layer");
        int heads = keys.positiveInt("n_head");
        int inner = keys.optionalPositiveInt("n_inner", hidden > 0 ? 4 * hidden : 0);
        int positions = keys.optionalPositiveInt("n_positions", 1024);
        double eps = keys.positiveDouble("layer_norm_epsilon", 1e-5);
        String act = keys.string("activation_function", "gelu_new");
        boolean tie = keys.bool("tie_word_embeddings", true);
        keys.unsupportedIfTrue("scale_attn_by_inverse_layer_idx", "per-layer attention scaling is not supported");
        if (!keys.bool("scale_attn_weights", true)) {
            keys.problem("scale_attn_weights false is not supported");
        }
        keys.checkHeads(hidden, "n_embd", heads, "n_head", heads, "n_head");
        return new ModelConfig("gpt2", vocab, hidden, layers, heads, heads, inner, positions, eps, 0.0, tie, true,
                act, keys.raw());
    }

    @Override
    public Map<String, Object> toConfigJson(ModelConfig config) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("architectures", List.of("GPT2LMHeadModel"));
        map.put("model_type", "gpt2");
        map.put("vocab_size", config.vocabSize());
        map.put("n_embd", config.hiddenSize());
        map.put("n_layer", config.numHiddenLayers());
        map.put("n_head", config.numAttentionHeads());
        map.put("n_inner", config.intermediateSize());
        map.put("n_positions", config.maxPositionEmbeddings());
        map.put("layer_norm_epsilon", config.normEps());
        map.put("activation_function", config.hiddenAct());
        map.put("tie_word_embeddings", config.tieWordEmbeddings());
        return map;
    }

    /** {@code GPT2LMHeadModel}, tied head, gelu_new, n_inner 4 x hidden, no dropout; the shape's kv heads, width and tying are ignored. */
    @Override
    public ModelConfig randomConfig(String modelType, ModelShape shape) {
        int hidden = shape.hiddenSize();
        Map<String, Object> raw = new LinkedHashMap<>();
        raw.put("activation_function", "gelu_new");
        raw.put("architectures", List.of("GPT2LMHeadModel"));
        raw.put("attn_pdrop", 0.0);
        raw.put("embd_pdrop", 0.0);
        raw.put("resid_pdrop", 0.0);
        raw.put("initializer_range", 0.02);
        raw.put("layer_norm_epsilon", 1e-5);
        raw.put("model_type", "gpt2");
        raw.put("n_embd", hidden);
        raw.put("n_head", shape.numAttentionHeads());
        raw.put("n_inner", null);
        raw.put("n_layer", shape.numHiddenLayers());
        raw.put("n_positions", shape.maxPositionEmbeddings());
        raw.put("reorder_and_upcast_attn", false);
        raw.put("scale_attn_by_inverse_layer_idx", false);
        raw.put("scale_attn_weights", true);
        raw.put("tie_word_embeddings", true);
        raw.put("torch_dtype", "float32");
        raw.put("use_cache", true);
        raw.put("vocab_size", shape.vocabSize());
        return new ModelConfig("gpt2", shape.vocabSize(), hidden, shape.numHiddenLayers(), shape.numAttentionHeads(),
                shape.numAttentionHeads(), 4 * hidden, shape.maxPositionEmbeddings(), 1e-5, 0.0, true, true, "gelu_new", raw);
    }

    @Override
    public Architecture architecture(ModelConfig config, Set<String> tensorNames, NDManager manager, String source) {
        return new Gpt2Architecture(config, tensorNames, source);
    }

    @Override
    public PeftTargets peftTargets() {
        return new PeftTargets(List.of("c_attn"), List.of("c_attn", "mlp.c_proj"), List.of("mlp.c_proj"),
                List.of("c_attn", "c_proj", "c_fc"));
    }
}
