package io.finetune4j.runtime.data;

import ai.djl.ndarray.NDArray;
import io.finetune4j.api.Stable;

/**
 * A right-padded batch for causal-LM training, every array in the caller's (step) manager. A forward with
 * {@code Logits.ALL_BUT_LAST} gives {@code [batch, seq - 1, vocab]} logits, where position {@code t} predicts
 * token {@code t + 1}: {@link #targetIds} and {@link #targetMask} are already shifted to line up with them.
 *
 * @param inputIds {@code [batch, seq]} int64, padded with the pad id
 * @param attentionMask {@code [batch, seq]} int64, 1 for real tokens, 0 for padding
 * @param targetIds {@code [batch, seq - 1]} int64, {@code inputIds[:, 1:]} with padding replaced by 0 so
 *     it is always a valid index into the vocabulary
 * @param targetMask {@code [batch, seq - 1]} float32, 1 where the token is a target and not padding
 * @param lengths real (unpadded) length of each row
 * @param tokenCount real tokens in the batch (throughput)
 * @param targetCount target tokens in the batch (the loss's denominator)
 */
@Stable
public record CausalLmBatch(NDArray inputIds, NDArray attentionMask, NDArray targetIds, NDArray targetMask,
                            int[] lengths, long tokenCount, long targetCount) {

    public int batchSize() {
        return lengths.length;
    }

    /** Padded sequence length. */
    public long sequenceLength() {
        return inputIds.getShape().get(1);
    }
}
