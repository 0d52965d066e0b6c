package io.finetune4j.alignment.ppo;

/**
 * The KL coefficient of PPO's per-token penalty: fixed ({@code kl_coef}), or adaptive as in Ziegler et al.
 * 2019 and TRL's {@code AdaptiveKLController} ({@code trl/trainer/utils.py}, older TRL's
 * {@code adap_kl_ctrl}): after each rollout of {@code n} samples whose mean KL is {@code kl},
 * {@code coef ← coef · (1 + clip(kl/target − 1, −0.2, 0.2) · n / horizon)}.
 */
public final class KlController {
    private final boolean adaptive;
    private final double target;
    private final double horizon;
    private double value;

    public KlController(double initial, boolean adaptive, double target, double horizon) {
        this.value = initial;
        this.adaptive = adaptive;
        this.target = target;
        this.horizon = horizon;
    }

    public double value() {
        return value;
    }

    /** Applies one rollout's measurement; a fixed controller ignores it. */
    public void update(double meanKl, int samples) {
        if (!adaptive) {
            return;
        }
        double error = Math.max(-0.2, Math.min(0.2, meanKl / target - 1));
        value *= 1 + error * samples / horizon;
    }
}
