package io.finetune4j.runtime.model.family.llama;

import ai.djl.ndarray.NDArray;
import io.finetune4j.runtime.model.ModelParts;
import io.finetune4j.runtime.model.TensorSpec;
import java.util.List;

/**
 * A norm a family sharing {@link LlamaArchitecture} applies to queries and keys after their projections and
 * before RoPE (Qwen3's {@code q_norm} / {@code k_norm}); {@link #NONE} for Llama, Mistral and Qwen2.
 */
public interface QueryKeyNorm {
    /** Leaves queries and keys as projected. */
    QueryKeyNorm NONE = new QueryKeyNorm() {
        @Override
        public List<TensorSpec> tensorSpecs(String layerPrefix, int headDim) {
            return List.of();
        }

        @Override
        public NDArray apply(ModelParts parts, String layerPrefix, boolean query, NDArray states) {
            return states;
        }
    };

    /** The tensors it reads in the layer whose names start with {@code layerPrefix} ({@code model.layers.0.}). */
    List<TensorSpec> tensorSpecs(String layerPrefix, int headDim);

    /**
     * @param query true for the queries, false for the keys
     * @param states {@code [batch, length, heads or kv_heads, head_dim]}
     * @return the same shape
     */
    NDArray apply(ModelParts parts, String layerPrefix, boolean query, NDArray states);
}
