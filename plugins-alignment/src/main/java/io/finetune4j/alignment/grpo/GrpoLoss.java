package io.finetune4j.alignment.grpo;

import ai.djl.ndarray.NDArray;
import io.finetune4j.alignment.ppo.PpoLoss;
import io.finetune4j.runtime.loss.LossMath;

/**
 * GRPO's per-token loss as TRL v1.9's {@code GRPOTrainer._compute_loss} ({@code trl/trainer/grpo_trainer.py}):
 * <pre>
 *   ratio = exp(logp − old_logp)                           (token level)
 *   ratio = exp(Σ_t (logp − old_logp)·m / max(Σ_t m, 1))    (sequence level, GSPO; one per completion)
 *   L_t   = −min(ratio·A, clamp(ratio, 1 − ε_low, 1 + ε_high)·A) + β·(exp(ref − logp) − (ref − logp) − 1)
 * </pre>
 * reduced by the {@link GrpoLossType}. The KL term is the k3 estimator, with gradient through
 * {@code logp}. Statistics: the masked mean KL and TRL's {@code clip_ratio/region_mean}, the share of tokens
 * where the ratio left {@code [1 − ε_low, 1 + ε_high]} on the side the advantage pushes towards.
 */
public final class GrpoLoss {
    private GrpoLoss() {}

    public record Result(NDArray loss, NDArray meanKl, NDArray clipRatio) {}

    /** The clip bounds, the importance-sampling level and the reduction. */
    public record Settings(double epsilonLow, double epsilonHigh, double beta, boolean sequenceLevel,
                           GrpoLossType lossType, int maxCompletionLength, double tokensPerMicroBatch) {}

    /** Token-level, symmetric ε (the original GRPO). */
    public static Result compute(NDArray logProbs, NDArray oldLogProbs, NDArray referenceLogProbs,
                                 NDArray advantages, NDArray mask, double epsilon, double beta,
                                 GrpoLossType lossType, int maxCompletionLength) {
        return compute(logProbs, oldLogProbs, referenceLogProbs, advantages, mask, new Settings(epsilon, epsilon, beta,
                false, lossType, maxCompletionLength, mask.sum().getFloat()));
    }

    /**
     * @param logProbs {@code [B, T]} current log-probs, recorded
     * @param oldLogProbs {@code [B, T]} log-probs at generation
     * @param referenceLogProbs {@code [B, T]}, or null when {@code beta == 0}
     * @param advantages {@code [B, T]} each completion's advantage at every one of its tokens
     * @param mask {@code [B, T]} 1 on completion tokens that count
     */
    public static Result compute(NDArray logProbs, NDArray oldLogProbs, NDArray referenceLogProbs,
                                 NDArray advantages, NDArray mask, Settings settings) {
        NDArray logRatio = logProbs.sub(oldLogProbs);                                   // [B, T]
        if (settings.sequenceLevel()) {
            NDArray one = PpoLoss.scalar(mask, 1);
            logRatio = logRatio.mul(mask).sum(new int[] {1}, true)
                    .div(mask.sum(new int[] {1}, true).maximum(one));                   // [B, 1]
        }
        NDArray ratio = logRatio.exp();
        NDArray low = PpoLoss.scalar(ratio, 1 - settings.epsilonLow());
        NDArray high = PpoLoss.scalar(ratio, 1 + settings.epsilonHigh());
        NDArray clipped = PpoLoss.clamp(ratio, low, high);
        NDArray perTokenLoss = ratio.mul(advantages).minimum(clipped.mul(advantages)).neg(); // [B, T]
        NDArray meanKl = PpoLoss.scalar(mask, 0);
        if (referenceLogProbs != null && settings.beta() != 0) {
            NDArray logr = referenceLogProbs.sub(logProbs);
            NDArray kl = logr.exp().sub(logr).sub(PpoLoss.scalar(logr, 1));
            perTokenLoss = perTokenLoss.add(kl.mul(PpoLoss.scalar(kl, settings.beta())));
            meanKl = LossMath.maskedMean(kl.stopGradient(), mask);
        }
        NDArray loss = settings.lossType().reduce(perTokenLoss, mask, settings.maxCompletionLength(),
                settings.tokensPerMicroBatch());
        NDArray detachedRatio = ratio.stopGradient();
        NDArray zero = PpoLoss.scalar(mask, 0);
        NDArray lowClipped = detachedRatio.lt(low).logicalAnd(advantages.lt(zero));   // [B, T] by broadcast
        NDArray highClipped = detachedRatio.gt(high).logicalAnd(advantages.gt(zero));
        NDArray clipRatio = PpoLoss.fraction(lowClipped.logicalOr(highClipped), mask);
        return new Result(loss, meanKl, clipRatio);
    }
}
