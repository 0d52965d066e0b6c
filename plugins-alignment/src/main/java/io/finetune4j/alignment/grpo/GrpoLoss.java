package io.finetune4j.alignment.grpo;

import ai.djl.ndarray.NDArray;
import io.finetune4j.alignment.ppo.PpoLoss;
import io.finetune4j.runtime.loss.LossMath;

/**
 * GRPO's per-token loss as TRL's {@code GRPOTrainer._compute_loss} ({@code trl/trainer/grpo_trainer.py}):
 * <pre>
 *   ratio = exp(logp − old_logp)
 *   L_t   = −min(ratio·A, clamp(ratio, 1 − ε, 1 + ε)·A) + β·(exp(ref − logp) − (ref − logp) − 1)
 * </pre>
 * reduced by the {@link GrpoLossType}. The KL term is the k3 estimator, with gradient through
 * {@code logp}. Statistics: the masked mean KL and TRL's {@code clip_ratio/region_mean}, the share of tokens
 * where the ratio left {@code [1 − ε, 1 + ε]} on the side the advantage pushes towards.
 */
public final class GrpoLoss {
    private GrpoLoss() {}

    public record Result(NDArray loss, NDArray meanKl, NDArray clipRatio) {}

    /**
     * @param logProbs {@code [B, T]} current log-probs, recorded
     * @param oldLogProbs {@code [B, T]} log-probs at generation
     * @param referenceLogProbs {@code [B, T]}, or null when {@code beta == 0}
     * @param advantages {@code [B, T]} each completion's advantage at every one of its tokens
     * @param mask {@code [B, T]} 1 on completion tokens
     */
    public static Result compute(NDArray logProbs, NDArray oldLogProbs, NDArray referenceLogProbs,
                                 NDArray advantages, NDArray mask, double epsilon, double beta,
                                 GrpoLossType lossType, int maxCompletionLength) {
        NDArray ratio = logProbs.sub(oldLogProbs).exp();
        NDArray low = PpoLoss.scalar(ratio, 1 - epsilon);
        NDArray high = PpoLoss.scalar(ratio, 1 + epsilon);
        NDArray clipped = PpoLoss.clamp(ratio, low, high);
        NDArray perTokenLoss = ratio.mul(advantages).minimum(clipped.mul(advantages)).neg();
        NDArray meanKl = PpoLoss.scalar(mask, 0);
        if (referenceLogProbs != null && beta != 0) {
            NDArray logr = referenceLogProbs.sub(logProbs);
            NDArray kl = logr.exp().sub(logr).sub(PpoLoss.scalar(logr, 1));
            perTokenLoss = perTokenLoss.add(kl.mul(PpoLoss.scalar(kl, beta)));
            meanKl = LossMath.maskedMean(kl.stopGradient(), mask);
        }
        NDArray loss = lossType.reduce(perTokenLoss, mask, maxCompletionLength);
        NDArray detachedRatio = ratio.stopGradient();
        NDArray zero = PpoLoss.scalar(mask, 0);
        NDArray lowClipped = detachedRatio.lt(low).logicalAnd(advantages.lt(zero));
        NDArray highClipped = detachedRatio.gt(high).logicalAnd(advantages.gt(zero));
        NDArray clipRatio = PpoLoss.fraction(lowClipped.logicalOr(highClipped), mask);
        return new Result(loss, meanKl, clipRatio);
    }
}
