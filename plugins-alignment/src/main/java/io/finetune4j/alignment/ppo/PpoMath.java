package io.finetune4j.alignment.ppo;

/**
 * The per-rollout arithmetic of PPO on plain Java arrays (one {@code double[]} per response, its length the
 * response's token count, EOS included): KL estimates, per-token rewards, generalized advantage estimation
 * and masked whitening. Rollouts are small and computed once, so they stay off the autograd graph entirely.
 *
 * <p>Follows TRL's {@code trl/trainer/ppo_trainer.py} ({@code PPOTrainer.train}: "compute rewards",
 * "compute advantages and returns") and {@code trl/core.py} ({@code masked_whiten}, {@code masked_var}).
 */
public final class PpoMath {
    private static final double WHITEN_EPS = 1e-8;

    private PpoMath() {}

    /**
     * Per-token KL estimate of the policy from the reference (Schulman, "Approximating KL divergence"), with
     * {@code logr = ref − logprob}: {@code k1 = −logr}, {@code k3 = (exp(logr) − 1) − logr}.
     */
    public static double[] kl(double[] logProbs, double[] referenceLogProbs, KlEstimator estimator) {
        double[] kl = new double[logProbs.length];
        for (int t = 0; t < kl.length; t++) {
            double logr = referenceLogProbs[t] - logProbs[t];
            kl[t] = estimator == KlEstimator.K1 ? -logr : Math.expm1(logr) - logr;
        }
        return kl;
    }

    /** {@code −klCoef · kl} at every token, plus {@code score} at the last token (TRL's per-token reward). */
    public static double[] rewards(double[] kl, double klCoef, double score) {
        double[] rewards = new double[kl.length];
        for (int t = 0; t < kl.length; t++) {
            rewards[t] = -klCoef * kl[t];
        }
        if (rewards.length > 0) {
            rewards[rewards.length - 1] += score;
        }
        return rewards;
    }

    /**
     * Generalized advantage estimation (Schulman et al. 2016) over one response, bootstrapping with 0 after
     * the last token: {@code δ_t = r_t + γ·V_{t+1} − V_t}, {@code A_t = δ_t + γλ·A_{t+1}}.
     *
     * @return {advantages, returns} with {@code returns = advantages + values}
     */
    public static double[][] gae(double[] rewards, double[] values, double gamma, double lam) {
        int n = rewards.length;
        double[] advantages = new double[n];
        double[] returns = new double[n];
        double last = 0;
        for (int t = n - 1; t >= 0; t--) {
            double next = t < n - 1 ? values[t + 1] : 0.0;
            double delta = rewards[t] + gamma * next - values[t];
            last = delta + gamma * lam * last;
            advantages[t] = last;
            returns[t] = last + values[t];
        }
        return new double[][] {advantages, returns};
    }

    /**
     * Whitens every token of every row together, as TRL's {@code masked_whiten} over the rollout's response
     * tokens: {@code (x − mean)/sqrt(var + 1e-8)} with the unbiased variance; with {@code !shiftMean} the mean
     * is added back. Fewer than two tokens leave the values centred (variance taken as 0).
     */
    public static double[][] whiten(double[][] rows, boolean shiftMean) {
        double sum = 0;
        long count = 0;
        for (double[] row : rows) {
            for (double value : row) {
                sum += value;
                count++;
            }
        }
        double mean = count == 0 ? 0 : sum / count;
        double squares = 0;
        for (double[] row : rows) {
            for (double value : row) {
                squares += (value - mean) * (value - mean);
            }
        }
        double variance = count < 2 ? 0 : squares / (count - 1);
        double scale = 1 / Math.sqrt(variance + WHITEN_EPS);
        double[][] whitened = new double[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            whitened[i] = new double[rows[i].length];
            for (int t = 0; t < rows[i].length; t++) {
                double centred = count < 2 ? 0 : (rows[i][t] - mean) * scale;
                whitened[i][t] = shiftMean ? centred : centred + mean;
            }
        }
        return whitened;
    }

    public static double sum(double[] values) {
        double sum = 0;
        for (double value : values) {
            sum += value;
        }
        return sum;
    }
}
