package io.finetune4j.alignment.kto;

import static io.finetune4j.alignment.preference.PreferenceLoss.logSigmoid;
import static io.finetune4j.alignment.preference.PreferenceLoss.scalar;

import ai.djl.ndarray.NDArray;

/**
 * The per-example KTO losses of TRL v1.9's {@code KTOTrainer._compute_loss}, written with a sign {@code s}
 * (+1 desirable, −1 undesirable) so one expression covers both: {@code kto}: {@code 1 − σ(s·β(ρ − z))};
 * {@code apo_zero_unpaired}: {@code 1 − σ(s·βρ)} (which is {@code σ(βρ)} for s = −1).
 */
final class KtoLoss {
    private KtoLoss() {}

    /**
     * @param ratios {@code [n]} ρ = log π − log π_ref of each example's completion
     * @param sign {@code [n]} +1 desirable, −1 undesirable
     * @param kl the detached KL baseline z (ignored for {@code apo_zero_unpaired})
     */
    static NDArray losses(NDArray ratios, NDArray sign, double beta, double kl, boolean apoZero) {
        NDArray centred = apoZero ? ratios : ratios.sub(scalar(ratios, kl));
        NDArray argument = centred.mul(sign).mul(scalar(ratios, beta));
        return scalar(ratios, 1).sub(logSigmoid(argument).exp());
    }
}
