package io.finetune4j.runtime.model.family.qwen3;

import ai.djl.ndarray.NDArray;
import io.finetune4j.runtime.model.ModelParts;
import io.finetune4j.runtime.model.RmsNorm;
import io.finetune4j.runtime.model.TensorSpec;
import io.finetune4j.runtime.model.family.llama.QueryKeyNorm;
import java.util.List;

/**
 * Qwen3Attention's {@code q_norm} and {@code k_norm}: a Qwen3RMSNorm over head_dim, applied to every head of
 * the projected queries and keys before RoPE (transformers' {@code modeling_qwen3.py}).
 */
final class Qwen3QueryKeyNorm implements QueryKeyNorm {
    private final float eps;

    Qwen3QueryKeyNorm(double eps) {
        this.eps = (float) eps;
    }

    @Override
    public List<TensorSpec> tensorSpecs(String layer, int headDim) {
        return List.of(TensorSpec.ones(layer + "self_attn.q_norm.weight", headDim),
                TensorSpec.ones(layer + "self_attn.k_norm.weight", headDim));
    }

    @Override
    public NDArray apply(ModelParts parts, String layer, boolean query, NDArray x) {
        NDArray weight = parts.tensor(layer + (query ? "self_attn.q_norm.weight" : "self_attn.k_norm.weight"));
        return RmsNorm.apply(x, weight, parts.scalars().of(eps)); // [batch, length, heads, head_dim], over head_dim
    }
}
