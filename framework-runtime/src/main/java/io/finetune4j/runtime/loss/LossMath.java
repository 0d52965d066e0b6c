package io.finetune4j.runtime.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.finetune4j.api.Stable;

/**
 * Loss math shared by objectives and evaluators, written once. Every function is safe inside an autograd
 * recording: it uses array-array operations only, never the {@code NDArray.add/mul/sub/div(Number)} forms
 * whose scalar autograd may read after the GC freed it (see STACK.md). Results join the manager of the
 * first argument, so callers pass step-owned arrays (logits of a forward whose inputs the step owns).
 *
 * <p>Shapes follow {@link io.finetune4j.runtime.data.CausalLmBatch}: logits {@code [batch, positions, vocab]}
 * from a {@code Logits.ALL_BUT_LAST} forward, target ids and masks {@code [batch, positions]} already shifted
 * so that position {@code t} holds token {@code t + 1}.
 */
@Stable
public final class LossMath {
    private LossMath() {}

    /**
     * {@code log p(target)} at every position: {@code log_softmax(logits)} gathered along the vocabulary.
     *
     * @param logits {@code [batch, positions, vocab]} float32
     * @param targetIds {@code [batch, positions]} int64, every entry a valid vocabulary index
     * @return {@code [batch, positions]} float32
     */
    public static NDArray tokenLogProbs(NDArray logits, NDArray targetIds) {
        NDArray logProbs = logits.logSoftmax(-1);                                 // [batch, positions, vocab]
        return logProbs.gather(targetIds.expandDims(-1), -1).squeeze(-1);  // [batch, positions]
    }

    /**
     * Mean negative log-likelihood over the masked-in tokens: {@code -Σ mask·log p / Σ mask}, which is
     * PyTorch's {@code CrossEntropyLoss(ignore_index=-100, reduction="mean")} with masked-out labels set to
     * -100 (Hugging Face's causal-LM loss). NaN when the mask is all zero, as in PyTorch.
     *
     * @param mask {@code [batch, positions]} float32, 1 for target tokens
     * @return a scalar
     */
    public static NDArray maskedMeanCrossEntropy(NDArray logits, NDArray targetIds, NDArray mask) {
        return maskedMean(tokenLogProbs(logits, targetIds), mask).neg();
    }

    /** {@code Σ mask·values / Σ mask} over every element: a scalar. */
    public static NDArray maskedMean(NDArray values, NDArray mask) {
        return values.mul(mask).sum().div(mask.sum());
    }

    /** Per-sequence sum of masked-in values, e.g. a completion's log-probability: {@code [batch]}. */
    public static NDArray sequenceSums(NDArray tokenValues, NDArray mask) {
        return tokenValues.mul(mask).sum(new int[] {1});
    }

    /** Per-sequence mean of masked-in values (length-normalised log-probability): {@code [batch]}; NaN for an empty row. */
    public static NDArray sequenceMeans(NDArray tokenValues, NDArray mask) {
        return sequenceSums(tokenValues, mask).div(mask.sum(new int[] {1}));
    }

    /**
     * Fraction of masked-in positions whose most likely token is the target (TRL's
     * {@code mean_token_accuracy}); not differentiable, for logging.
     */
    public static NDArray tokenAccuracy(NDArray logits, NDArray targetIds, NDArray mask) {
        NDArray correct = logits.argMax(-1).eq(targetIds).toType(DataType.FLOAT32, false); // [batch, positions]
        return maskedMean(correct, mask);
    }
}
