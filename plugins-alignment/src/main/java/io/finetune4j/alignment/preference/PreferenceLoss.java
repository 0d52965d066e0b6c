package io.finetune4j.alignment.preference;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Loss math of the preference objectives (DPO, ORPO, reward modelling), written once. Array-array
 * operations only: scalars are created as arrays in the manager of the first operand ({@link #scalar}),
 * never through {@code NDArray.add/mul(Number)}, whose scalar autograd may read after the GC freed it
 * (STACK.md). Results join the first operand's manager.
 */
public final class PreferenceLoss {
    private PreferenceLoss() {}

    /** A float32 0-d array owned by {@code like}'s manager. */
    public static NDArray scalar(NDArray like, double value) {
        NDManager manager = like.getManager();
        return manager.full(new Shape(), (float) value);
    }

    /**
     * {@code log σ(x)} elementwise, computed stably as {@code min(x, 0) - log(1 + exp(-|x|))}
     * (PyTorch's {@code F.logsigmoid}).
     */
    public static NDArray logSigmoid(NDArray x) {
        NDArray zero = scalar(x, 0);
        NDArray one = scalar(x, 1);
        NDArray tail = x.abs().neg().exp().add(one).log();
        return x.minimum(zero).sub(tail);
    }

    /** {@code log(1 - exp(logP))} for {@code logP < 0} (TRL's {@code torch.log1p(-torch.exp(logP))}). */
    public static NDArray logOneMinusExp(NDArray logP) {
        return scalar(logP, 1).sub(logP.exp()).log();
    }

    /**
     * DPO's implicit-reward difference (TRL {@code dpo_loss}): {@code (π_c − π_r) − (ref_c − ref_r)}, [B].
     */
    public static NDArray dpoLogits(NDArray policyChosen, NDArray policyRejected, NDArray referenceChosen,
                                    NDArray referenceRejected) {
        return policyChosen.sub(policyRejected).sub(referenceChosen.sub(referenceRejected));
    }

    /** Sigmoid DPO (Rafailov et al. 2023, eq. 7) with conservative label smoothing ε: [B]. */
    public static NDArray sigmoidLoss(NDArray logits, double beta, double labelSmoothing) {
        NDArray scaled = logits.mul(scalar(logits, beta));
        NDArray positive = logSigmoid(scaled).neg().mul(scalar(logits, 1 - labelSmoothing));
        NDArray negative = logSigmoid(scaled.neg()).mul(scalar(logits, labelSmoothing));
        return positive.sub(negative);
    }

    /** Robust DPO (Chowdhury et al. 2024): {@code (−logσ(βx)(1−ε) + logσ(−βx)ε) / (1−2ε)}: [B]. */
    public static NDArray robustLoss(NDArray logits, double beta, double labelSmoothing) {
        NDArray scaled = logits.mul(scalar(logits, beta));
        NDArray positive = logSigmoid(scaled).neg().mul(scalar(logits, 1 - labelSmoothing));
        NDArray negative = logSigmoid(scaled.neg()).mul(scalar(logits, labelSmoothing));
        return positive.add(negative).div(scalar(logits, 1 - 2 * labelSmoothing));
    }

    /** Hinge loss of SLiC (Zhao et al. 2023): {@code relu(1 − βx)}: [B]. */
    public static NDArray hingeLoss(NDArray logits, double beta) {
        NDArray margin = scalar(logits, 1).sub(logits.mul(scalar(logits, beta)));
        return margin.maximum(scalar(logits, 0));
    }

    /** IPO (Azar et al. 2023, eq. 17): {@code (x − 1/(2β))²} on length-averaged log-probs: [B]. */
    public static NDArray ipoLoss(NDArray logits, double beta) {
        NDArray centred = logits.sub(scalar(logits, 1 / (2 * beta)));
        return centred.mul(centred);
    }

    /**
     * ORPO's log odds ratio (Hong et al. 2024, eq. 6; TRL {@code odds_ratio_loss}) of length-averaged
     * log-probs: {@code (log p_c − log p_r) − (log(1 − p_c) − log(1 − p_r))}: [B].
     */
    public static NDArray logOddsRatio(NDArray chosenMean, NDArray rejectedMean) {
        return chosenMean.sub(rejectedMean).sub(logOneMinusExp(chosenMean).sub(logOneMinusExp(rejectedMean)));
    }

    /** Bradley–Terry reward-model loss (TRL {@code RewardTrainer}): {@code −logσ(r_c − r_r − margin)}: [B]. */
    public static NDArray bradleyTerryLoss(NDArray chosenRewards, NDArray rejectedRewards, double margin) {
        NDArray difference = chosenRewards.sub(rejectedRewards).sub(scalar(chosenRewards, margin));
        return logSigmoid(difference).neg();
    }

    /** Mean of {@code values} as a Java double, outside any autograd graph (for metrics). */
    public static double mean(NDArray values) {
        return values.stopGradient().mean().getFloat();
    }

    /** Fraction of rows where {@code a > b} (TRL's {@code rewards/accuracies}). */
    public static double fractionGreater(NDArray a, NDArray b) {
        float[] left = a.stopGradient().toFloatArray();
        float[] right = b.stopGradient().toFloatArray();
        int greater = 0;
        for (int i = 0; i < left.length; i++) {
            greater += left[i] > right[i] ? 1 : 0;
        }
        return (double) greater / left.length;
    }
}
