package io.finetune4j.api.model;

import io.finetune4j.api.Stable;
import java.util.Map;

/**
 * The architecture of a decoder-only model, read from a Hugging Face {@code config.json}.
 *
 * @param modelType {@code llama}, {@code mistral}, {@code qwen2}, {@code qwen3} or {@code gpt2}
 * @param numKeyValueHeads equal to {@code numAttentionHeads} unless the model uses grouped-query attention
 * @param intermediateSize MLP width ({@code n_inner}, or 4 × hidden for GPT-2 when absent)
 * @param normEps {@code rms_norm_eps} (Llama family) or {@code layer_norm_epsilon} (GPT-2)
 * @param ropeTheta rotary base (Llama family); 0 for GPT-2
 * @param attentionBias q/k/v projections carry biases (qwen2, GPT-2, {@code attention_bias: true})
 * @param raw the full parsed {@code config.json}, written back unchanged on save
 */
@Stable
public record ModelConfig(
        String modelType,
        int vocabSize,
        int hiddenSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numKeyValueHeads,
        int intermediateSize,
        int maxPositionEmbeddings,
        double normEps,
        double ropeTheta,
        boolean tieWordEmbeddings,
        boolean attentionBias,
        String hiddenAct,
        Map<String, Object> raw) {

    public ModelConfig {
        raw = raw == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(raw));
    }

    /** {@code head_dim} when config.json gives one (Qwen3's may differ from hidden / heads), else hidden / heads. */
    public int headDim() {
        return raw.get("head_dim") instanceof Number explicit ? explicit.intValue() : hiddenSize / numAttentionHeads;
    }
}
