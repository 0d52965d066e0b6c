package io.finetune4j.alignment.ppo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.runtime.loss.LossMath;

/**
 * PPO's clipped losses on one micro-batch, in {@link SequenceBatch}'s {@code [batch, seq - 1]} layout, as
 * TRL's {@code PPOTrainer} computes them ({@code trl/trainer/ppo_trainer.py}, the mini-batch loop):
 * <pre>
 *   ratio    = exp(logp − old_logp)
 *   pg_loss  = masked_mean(max(−A·ratio, −A·clamp(ratio, 1 − ε, 1 + ε)))
 *   v_clip   = clamp(v, old_v − ε_v, old_v + ε_v)
 *   vf_loss  = 0.5 · masked_mean(max((v − R)², (v_clip − R)²))
 *   loss     = pg_loss + vf_coef · vf_loss
 * </pre>
 * Statistics: {@code approxkl = 0.5·masked_mean((logp − old_logp)²)}, clip fractions as the masked share of
 * positions where the clipped term is the larger one. Masked means run over response tokens only (TRL's
 * newer trainer averages approx-KL over padding too; the older one masked it, as here). Array-array
 * operations only (scalars as 0-d arrays), so autograd never reads a GC-freed scalar (STACK.md).
 */
public final class PpoLoss {
    private PpoLoss() {}

    /**
     * @param loss scalar with gradient: {@code policyLoss + vfCoef · valueLoss}
     * @param policyLoss detached scalar
     * @param valueLoss detached scalar ({@code 0.5·...}, before {@code vf_coef})
     */
    public record Result(NDArray loss, NDArray policyLoss, NDArray valueLoss, NDArray approxKl,
                         NDArray policyClipFraction, NDArray valueClipFraction, NDArray meanRatio) {}

    /**
     * @param logProbs {@code [B, T]} current log-probs, recorded
     * @param oldLogProbs {@code [B, T]} rollout log-probs
     * @param advantages {@code [B, T]} whitened advantages
     * @param values {@code [B, T]} current values, recorded (null for no value loss)
     * @param oldValues {@code [B, T]} rollout values
     * @param returns {@code [B, T]} GAE returns
     * @param mask {@code [B, T]} 1 on response tokens
     */
    public static Result compute(NDArray logProbs, NDArray oldLogProbs, NDArray advantages, NDArray values,
                                 NDArray oldValues, NDArray returns, NDArray mask, double cliprange,
                                 double cliprangeValue, double vfCoef) {
        NDArray difference = logProbs.sub(oldLogProbs);
        NDArray ratio = difference.exp();
        NDArray clipped = clamp(ratio, scalar(ratio, 1 - cliprange), scalar(ratio, 1 + cliprange));
        NDArray pgLosses = advantages.neg().mul(ratio);
        NDArray pgLosses2 = advantages.neg().mul(clipped);
        NDArray policyLoss = LossMath.maskedMean(pgLosses.maximum(pgLosses2), mask);
        NDArray policyClip = fraction(pgLosses2.stopGradient().gt(pgLosses.stopGradient()), mask);
        NDArray approxKl = LossMath.maskedMean(difference.stopGradient().square(), mask).mul(scalar(mask, 0.5));

        NDArray loss = policyLoss;
        NDArray valueLoss = scalar(mask, 0);
        NDArray valueClip = scalar(mask, 0);
        if (values != null) {
            NDArray range = scalar(values, cliprangeValue);
            NDArray valuesClipped = clamp(values, oldValues.sub(range), oldValues.add(range));
            NDArray vfLosses = values.sub(returns).square();
            NDArray vfLosses2 = valuesClipped.sub(returns).square();
            NDArray vfLoss = LossMath.maskedMean(vfLosses.maximum(vfLosses2), mask).mul(scalar(values, 0.5));
            loss = policyLoss.add(vfLoss.mul(scalar(values, vfCoef)));
            valueLoss = vfLoss.stopGradient();
            valueClip = fraction(vfLosses2.stopGradient().gt(vfLosses.stopGradient()), mask);
        }
        NDArray meanRatio = LossMath.maskedMean(ratio.stopGradient(), mask);
        return new Result(loss, policyLoss.stopGradient(), valueLoss, approxKl, policyClip, valueClip, meanRatio);
    }

    /** {@code min(max(x, low), high)} with array bounds (broadcast). */
    public static NDArray clamp(NDArray x, NDArray low, NDArray high) {
        return x.maximum(low).minimum(high);
    }

    /** A float32 0-d array in {@code like}'s manager. */
    public static NDArray scalar(NDArray like, double value) {
        return like.getManager().full(new Shape(), (float) value);
    }

    /** Masked share of true entries of a boolean array. */
    public static NDArray fraction(NDArray condition, NDArray mask) {
        return LossMath.maskedMean(condition.toType(DataType.FLOAT32, false), mask);
    }
}
