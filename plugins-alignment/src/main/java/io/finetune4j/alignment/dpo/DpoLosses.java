package io.finetune4j.alignment.dpo;

import static io.finetune4j.alignment.preference.PreferenceLoss.logSigmoid;
import static io.finetune4j.alignment.preference.PreferenceLoss.scalar;

import ai.djl.ndarray.NDArray;

/**
 * The DPO loss types added after the original four, each as TRL v1.9 writes it in
 * {@code DPOTrainer._compute_loss} ({@code trl/trainer/dpo_trainer.py}), per pair ({@code [B]}). {@code x} is
 * {@code delta_score}, {@code c}/{@code r} the chosen/rejected log-ratios to the reference. Array-array
 * operations only (see {@link io.finetune4j.alignment.preference.PreferenceLoss}).
 */
final class DpoLosses {
    private DpoLosses() {}

    /** {@code σ(v)} as {@code exp(log σ(v))}, stable for large |v|. */
    static NDArray sigmoid(NDArray v) {
        return logSigmoid(v).exp();
    }

    private static NDArray scaled(NDArray v, double beta) {
        return v.mul(scalar(v, beta));
    }

    /**
     * EXO-pref (Ji et al. 2024, eq. 16): {@code KL(q ‖ p)} over {chosen, rejected} with {@code q = σ(±βx)} and
     * {@code p = (1 − ε, ε)}: {@code σ(βx)(logσ(βx) − log(1 − ε)) + σ(−βx)(logσ(−βx) − log ε)}.
     */
    static NDArray exoPair(NDArray x, double beta, double eps) {
        NDArray bx = scaled(x, beta);
        NDArray minus = bx.neg();
        NDArray chosen = sigmoid(bx).mul(logSigmoid(bx).sub(scalar(x, Math.log1p(-eps))));
        NDArray rejected = sigmoid(minus).mul(logSigmoid(minus).sub(scalar(x, Math.log(eps))));
        return chosen.add(rejected);
    }

    /** NCA (Chen et al. 2024): {@code −logσ(βc) − ½logσ(−βc) − ½logσ(−βr)}. */
    static NDArray ncaPair(NDArray c, NDArray r, double beta) {
        NDArray bc = scaled(c, beta);
        NDArray br = scaled(r, beta);
        NDArray half = scalar(c, 0.5);
        return logSigmoid(bc).neg().sub(logSigmoid(bc.neg()).mul(half)).sub(logSigmoid(br.neg()).mul(half));
    }

    /** BCO on pairs (Jung et al. 2024, as TRL v1.9, no running reward shift): {@code −logσ(βc) − logσ(−βr)}. */
    static NDArray bcoPair(NDArray c, NDArray r, double beta) {
        return logSigmoid(scaled(c, beta)).neg().sub(logSigmoid(scaled(r, beta).neg()));
    }

    /** SPPO, hard labels (Wu et al. 2024, eq. 4.7 with P = 1/0): {@code (c − 1/(2β))² + (r + 1/(2β))²}. */
    static NDArray sppoHard(NDArray c, NDArray r, double beta) {
        NDArray winner = c.sub(scalar(c, 0.5 / beta));
        NDArray loser = r.add(scalar(r, 0.5 / beta));
        return winner.mul(winner).add(loser.mul(loser));
    }

    /**
     * AOT (Melnyk et al. 2024): both inputs sorted over the batch, {@code δ = sort(a) − sort(b)}, then the
     * label-smoothed sigmoid loss {@code −logσ(βδ)(1 − ε) − logσ(−βδ)ε}. Paired ({@code aot}): {@code a} the
     * policy's chosen−rejected log-ratio, {@code b} the reference's; unpaired: {@code a = c}, {@code b = r}.
     */
    static NDArray aot(NDArray a, NDArray b, double beta, double eps) {
        NDArray delta = scaled(a.sort(0).sub(b.sort(0)), beta);
        NDArray positive = logSigmoid(delta).neg().mul(scalar(delta, 1 - eps));
        return positive.sub(logSigmoid(delta.neg()).mul(scalar(delta, eps)));
    }

    /** APO-zero (D'Oosterlinck et al. 2024, eq. 7): {@code (1 − σ(βc)) + σ(βr)}. */
    static NDArray apoZero(NDArray c, NDArray r, double beta) {
        return scalar(c, 1).sub(sigmoid(scaled(c, beta))).add(sigmoid(scaled(r, beta)));
    }

    /** APO-down (eq. 8): {@code σ(βc) + (1 − σ(βx))}. */
    static NDArray apoDown(NDArray c, NDArray x, double beta) {
        return sigmoid(scaled(c, beta)).add(scalar(x, 1).sub(sigmoid(scaled(x, beta))));
    }

    /**
     * DiscoPOP (Chris Lu et al. 2024, eq. 5), {@code z = βx}, {@code m = σ(z/τ)}:
     * {@code −logσ(z)(1 − m) + exp(−z)·m}.
     */
    static NDArray discopop(NDArray x, double beta, double tau) {
        NDArray z = scaled(x, beta);
        NDArray modulation = sigmoid(z.div(scalar(z, tau)));
        NDArray logistic = logSigmoid(z).neg().mul(scalar(z, 1).sub(modulation));
        return logistic.add(z.neg().exp().mul(modulation));
    }
}
