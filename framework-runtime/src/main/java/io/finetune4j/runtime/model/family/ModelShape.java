package io.finetune4j.runtime.model.family;

import io.finetune4j.api.Stable;

/**
 * The shape of a random model (benchmarks, tests); a family fills in the rest of its config.json.
 *
 * @param numKeyValueHeads equal to {@code numAttentionHeads} without grouped-query attention
 * @param headDim explicit {@code head_dim}, or 0 for {@code hiddenSize / numAttentionHeads}
 */
@Stable
public record ModelShape(int vocabSize, int hiddenSize, int numHiddenLayers, int numAttentionHeads,
        int numKeyValueHeads, int intermediateSize, int maxPositionEmbeddings, boolean tieWordEmbeddings, int headDim) {

    /** The head dimension this shape gives. */
    public int resolvedHeadDim() {
        return headDim > 0 ? headDim : hiddenSize / numAttentionHeads;
    }
}
