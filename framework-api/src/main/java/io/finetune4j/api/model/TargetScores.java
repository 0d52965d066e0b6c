package io.finetune4j.api.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.finetune4j.api.Stable;

/**
 * How a model scores given next tokens: the result of {@link CausalLM#scoreTargets}, at the positions of
 * {@link ForwardInput.Logits#ALL_BUT_LAST} (position {@code t} scores token {@code t + 1}).
 *
 * @param logProbs {@code [batch, seq - 1]} float32 {@code log p(target)}; recorded for autograd when the
 *     forward is
 * @param argmaxHits {@code [batch, seq - 1]} float32, 1 where the target is the most likely token (no gradient)
 * @param hiddenStates {@code [batch, seq, hidden]} after the final norm
 */
@Stable
public record TargetScores(NDArray logProbs, NDArray argmaxHits, NDArray hiddenStates) {
    /**
     * The plain computation from a forward's whole logits: {@code log_softmax(logits).gather(targetIds)}.
     *
     * @param output a forward with {@link ForwardInput.Logits#ALL_BUT_LAST}
     * @param targetIds {@code [batch, seq - 1]} int64
     */
    public static TargetScores fromLogits(ForwardOutput output, NDArray targetIds) {
        NDArray logits = output.logits();                                                 // [batch, seq - 1, vocab]
        NDArray logProbs = logits.logSoftmax(-1).gather(targetIds.expandDims(-1), -1).squeeze(-1);
        NDArray hits = logits.argMax(-1).eq(targetIds).toType(DataType.FLOAT32, false);
        return new TargetScores(logProbs, hits, output.hiddenStates());
    }
}
